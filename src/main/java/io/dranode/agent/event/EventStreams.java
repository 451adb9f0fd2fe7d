package io.dranode.agent.event;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The open event streams of every API (SSE and gRPC watch): each an {@link EventFeed} on the
 * context's stream executor. When the context closes they are ended at once, before the servers'
 * graceful shutdown, which would otherwise wait for streams that never end by themselves.
 */
@Component
public class EventStreams {

  private final EventBus bus;
  private final Executor executor;
  private final Set<EventFeed> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closing;

  public EventStreams(EventBus bus, @Qualifier("streamExecutor") Executor executor) {
    this.bus = bus;
    this.executor = executor;
  }

  /**
   * Opens a stream into the sink: every event from now on. While the agent shuts down, the sink is
   * ended at once instead.
   */
  public EventFeed open(EventSink sink) {
    EventFeed feed = new EventFeed(sink, executor, open::remove);
    open.add(feed);
    feed.subscribe(bus);
    if (closing) {
      feed.end(EventSink.Problem.SHUTTING_DOWN);
    }
    return feed;
  }

  /** Streams open now (a metric). */
  public int count() {
    return open.size();
  }

  @EventListener(ContextClosedEvent.class)
  void closeAll() {
    closing = true;
    open.forEach(feed -> feed.end(EventSink.Problem.SHUTTING_DOWN));
  }
}
