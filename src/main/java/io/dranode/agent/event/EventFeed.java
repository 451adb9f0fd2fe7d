package io.dranode.agent.event;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's stream of the activity events. The bus publishes synchronously, often under the
 * store's lock, so {@link #accept} only offers to a bounded queue; a drain on the executor sends
 * while the sink is ready and is signalled again when it becomes ready. A client too slow to keep
 * up is ended ({@link EventSink.Problem#FELL_BEHIND}) rather than buffered without bound; it can
 * open a new stream.
 */
public final class EventFeed implements Consumer<AgentEvent> {

  /** Events a client may be behind before its stream is ended. */
  public static final int CAPACITY = 1024;

  private static final Logger log = LoggerFactory.getLogger(EventFeed.class);

  private final EventSink sink;
  private final Executor executor;
  private final Consumer<EventFeed> onEnd;
  private final BlockingQueue<AgentEvent> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final AtomicInteger drainRequests = new AtomicInteger();
  private final AtomicReference<EventSink.@Nullable Problem> ending = new AtomicReference<>();
  private final AtomicReference<@Nullable Subscription> subscription = new AtomicReference<>();
  private volatile boolean done;

  EventFeed(EventSink sink, Executor executor, Consumer<EventFeed> onEnd) {
    this.sink = sink;
    this.executor = executor;
    this.onEnd = onEnd;
  }

  void subscribe(EventBus bus) {
    subscription.set(bus.subscribe(this));
    if (done || ending.get() != null) {
      unsubscribe(); // ended while subscribing
    }
  }

  /** From the publisher: never blocks. */
  @Override
  public void accept(AgentEvent event) {
    if (done || ending.get() != null) {
      return;
    }
    if (!queue.offer(event)) {
      log.warn("An event stream client fell {} events behind; ending its stream", CAPACITY);
      end(EventSink.Problem.FELL_BEHIND);
      return;
    }
    signal();
  }

  /** The sink may be ready again (gRPC's on-ready handler calls this). */
  public void signal() {
    if (drainRequests.getAndIncrement() == 0) {
      try {
        executor.execute(this::drain);
      } catch (RejectedExecutionException e) {
        abandon(); // shutting down: the server closes the stream
      }
    }
  }

  /** Ends the stream with the problem once the drain gets to it; queued events are dropped. */
  void end(EventSink.Problem problem) {
    ending.compareAndSet(null, problem);
    unsubscribe();
    signal();
  }

  /** The client is gone (cancelled, disconnected): stop without telling it anything. */
  public void abandon() {
    if (!done) {
      done = true;
      unsubscribe();
      queue.clear();
      onEnd.accept(this);
    }
  }

  /** Serialised by {@link #drainRequests}: only one drain runs at a time, and none is lost. */
  private void drain() {
    int missed = 1;
    while (true) {
      if (!done) {
        try {
          EventSink.Problem problem = ending.get();
          if (problem != null) {
            abandon();
            sink.end(problem);
          } else {
            AgentEvent next;
            while (!done && sink.ready() && (next = queue.poll()) != null) {
              sink.send(next);
            }
          }
        } catch (Exception e) {
          log.debug("Event stream ended: {}", e.toString());
          abandon(); // the client is gone under us
        }
      }
      missed = drainRequests.addAndGet(-missed);
      if (missed == 0) {
        return;
      }
    }
  }

  private void unsubscribe() {
    Subscription current = subscription.getAndSet(null);
    if (current != null) {
      current.close();
    }
  }
}
