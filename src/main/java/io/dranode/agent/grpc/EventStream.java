package io.dranode.agent.grpc;

import io.dranode.agent.api.v1.PluginEvent;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One {@code WatchPlugins} call. The bus publishes synchronously, often under the store's lock, so
 * {@link #accept} only offers to a bounded queue; a drain on the executor sends while the call is
 * ready (flow control) and is re-triggered by its on-ready handler. A client too slow to keep up is
 * dropped with {@code RESOURCE_EXHAUSTED} rather than making the agent buffer without bound.
 */
final class EventStream implements Consumer<AgentEvent> {

  /** Events a subscriber may be behind before it is dropped. */
  static final int CAPACITY = 256;

  private final ServerCallStreamObserver<PluginEvent> call;
  private final Executor executor;
  private final Consumer<EventStream> onEnd;
  private final BlockingQueue<PluginEvent> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final AtomicInteger drainRequests = new AtomicInteger();
  private final AtomicReference<@Nullable Status> ending = new AtomicReference<>();
  private final AtomicReference<@Nullable AutoCloseable> subscription = new AtomicReference<>();
  private volatile boolean done;

  EventStream(
      ServerCallStreamObserver<PluginEvent> call, Executor executor, Consumer<EventStream> onEnd) {
    this.call = call;
    this.executor = executor;
    this.onEnd = onEnd;
  }

  /**
   * Subscribes; must run inside the call's handler (the handlers must be set before it returns).
   */
  void start(EventBus bus) {
    call.setOnCancelHandler(this::abandon);
    call.setOnReadyHandler(this::signal);
    subscription.set(bus.subscribe(this));
    if (done || ending.get() != null) {
      unsubscribe(); // cancelled or ended while subscribing
    }
  }

  /** From the publisher: never blocks. */
  @Override
  public void accept(AgentEvent event) {
    if (done || ending.get() != null) {
      return;
    }
    if (!queue.offer(ProtoViews.event(event))) {
      end(
          Status.RESOURCE_EXHAUSTED.withDescription(
              "watcher fell more than " + CAPACITY + " events behind; watch again"));
      return;
    }
    signal();
  }

  /** Ends the call with the status once the drain gets to it; queued events are dropped. */
  void end(Status status) {
    ending.compareAndSet(null, status);
    unsubscribe();
    signal();
  }

  private void unsubscribe() {
    AutoCloseable current = subscription.getAndSet(null);
    if (current != null) {
      try {
        current.close();
      } catch (Exception e) {
        // the bus's handle does not throw; nothing to do if another one did
      }
    }
  }

  private void signal() {
    if (drainRequests.getAndIncrement() == 0) {
      try {
        executor.execute(this::drain);
      } catch (RejectedExecutionException e) {
        abandon(); // shutting down: the server closes the call
      }
    }
  }

  /** Serialised by {@link #drainRequests}: only one drain runs at a time, and none is lost. */
  private void drain() {
    int missed = 1;
    while (true) {
      if (!done) {
        try {
          Status status = ending.get();
          if (status != null) {
            finish(status);
          } else {
            PluginEvent next;
            while (call.isReady() && (next = queue.poll()) != null) {
              call.onNext(next);
            }
          }
        } catch (RuntimeException e) {
          abandon(); // the call is gone under us (closed or cancelled)
        }
      }
      missed = drainRequests.addAndGet(-missed);
      if (missed == 0) {
        return;
      }
    }
  }

  private void finish(Status status) {
    abandon();
    call.onError(status.asRuntimeException());
  }

  private void abandon() {
    done = true;
    unsubscribe();
    queue.clear();
    onEnd.accept(this);
  }
}
