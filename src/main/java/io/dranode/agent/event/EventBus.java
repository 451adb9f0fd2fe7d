package io.dranode.agent.event;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Hands every {@link AgentEvent} to its subscribers, synchronously and in order. Publishers may
 * hold their own locks while publishing, so a subscriber must not block: it queues, counts or logs.
 * A failing subscriber is logged and never harms the publisher or the other subscribers.
 */
@Component
public class EventBus {

  private static final Logger log = LoggerFactory.getLogger(EventBus.class);

  private final CopyOnWriteArrayList<Consumer<AgentEvent>> subscribers =
      new CopyOnWriteArrayList<>();

  /** Adds a subscriber; closing the returned handle removes it. */
  public Subscription subscribe(Consumer<AgentEvent> subscriber) {
    subscribers.add(subscriber);
    return () -> subscribers.remove(subscriber);
  }

  /** Delivers an event to every current subscriber. */
  public void publish(AgentEvent event) {
    for (Consumer<AgentEvent> subscriber : subscribers) {
      try {
        subscriber.accept(event);
      } catch (RuntimeException e) {
        log.warn("Event subscriber failed on {} of {}", event.type().wireName(), event.driver(), e);
      }
    }
  }
}
