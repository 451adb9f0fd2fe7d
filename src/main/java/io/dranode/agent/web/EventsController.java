package io.dranode.agent.web;

import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code GET /api/v1/events}: Server-Sent Events of every agent event from the moment of the call.
 * Publishers never wait for a client: each client has a bounded queue drained on a context-owned
 * executor; a client that falls too far behind is disconnected (it can reconnect).
 */
@RestController
@RequestMapping("/api/v1")
class EventsController implements SmartLifecycle {

  static final int QUEUE_CAPACITY = 1024;
  static final Duration STREAM_TIMEOUT = Duration.ofHours(1);

  /** The SSE comment that opens every stream (clients ignore comments). */
  static final String OPENED = "stream open";

  private static final Logger log = LoggerFactory.getLogger(EventsController.class);

  private final EventBus events;
  private final Executor executor;
  private final Set<Client> clients = ConcurrentHashMap.newKeySet();
  private volatile boolean running;

  EventsController(EventBus events, @Qualifier("streamExecutor") Executor executor) {
    this.events = events;
    this.executor = executor;
  }

  /** One event as sent: {@code event:} is the type, {@code data:} this JSON. */
  record EventData(
      String type, String time, String driver, @Nullable String endpoint, String detail) {
    static EventData of(AgentEvent event) {
      return new EventData(
          event.type().wireName(),
          event.time().toString(),
          event.driver(),
          event.endpoint(),
          event.detail());
    }
  }

  @GetMapping(path = "/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  SseEmitter events() {
    SseEmitter emitter = new SseEmitter(STREAM_TIMEOUT.toMillis());
    if (!running) {
      emitter.complete();
      return emitter;
    }
    try {
      // Spring sends the status and headers with the first write: without this comment a client
      // of a quiet agent would wait, possibly for minutes, without knowing it is connected.
      emitter.send(SseEmitter.event().comment(OPENED));
    } catch (IOException e) {
      emitter.completeWithError(e);
      return emitter;
    }
    Client client = new Client(emitter);
    clients.add(client);
    client.subscription = events.subscribe(client::offer);
    emitter.onCompletion(client::close);
    emitter.onTimeout(client::close);
    emitter.onError(e -> client.close());
    return emitter;
  }

  /** Number of connected clients. */
  int clients() {
    return clients.size();
  }

  private final class Client {
    final SseEmitter emitter;
    final BlockingQueue<AgentEvent> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    final AtomicBoolean draining = new AtomicBoolean();
    final AtomicBoolean closed = new AtomicBoolean();
    volatile @Nullable AutoCloseable subscription;

    Client(SseEmitter emitter) {
      this.emitter = emitter;
    }

    void offer(AgentEvent event) {
      if (closed.get()) {
        return;
      }
      if (!queue.offer(event)) {
        log.warn("Event stream client fell {} events behind; disconnecting it", QUEUE_CAPACITY);
        close();
        emitter.complete();
        return;
      }
      if (draining.compareAndSet(false, true)) {
        executor.execute(this::drain);
      }
    }

    private void drain() {
      try {
        AgentEvent event;
        while (!closed.get() && (event = queue.poll()) != null) {
          emitter.send(
              SseEmitter.event()
                  .name(event.type().wireName())
                  .data(EventData.of(event), MediaType.APPLICATION_JSON));
        }
      } catch (IOException | IllegalStateException e) {
        close();
      } finally {
        draining.set(false);
      }
      if (!closed.get() && !queue.isEmpty() && draining.compareAndSet(false, true)) {
        executor.execute(this::drain);
      }
    }

    void close() {
      if (closed.compareAndSet(false, true)) {
        clients.remove(this);
        AutoCloseable current = subscription;
        if (current != null) {
          try {
            current.close();
          } catch (Exception e) {
            log.debug("Unsubscribing an event stream failed", e);
          }
        }
      }
    }
  }

  @Override
  public void start() {
    running = true;
  }

  /** Ends every stream, so that shutdown does not wait for clients. */
  @Override
  public void stop() {
    running = false;
    for (Client client : clients) {
      client.close();
      client.emitter.complete();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
