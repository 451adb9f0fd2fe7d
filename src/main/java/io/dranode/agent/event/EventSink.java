package io.dranode.agent.event;

import org.jspecify.annotations.Nullable;

/** Where an {@link EventFeed} delivers: one SSE response or one gRPC watch call. */
public interface EventSink {

  /** Whether the client can take an event now (flow control); the feed waits otherwise. */
  boolean ready();

  /** Sends one event; a failure ends the feed. */
  void send(AgentEvent event) throws Exception;

  /**
   * Ends the stream: normally ({@code problem} null: the client left) or with a problem to tell the
   * client (it fell behind, or the agent is shutting down).
   */
  void end(@Nullable Problem problem);

  /** Why the agent ends a stream. */
  enum Problem {
    /** The client fell more than {@link EventFeed#CAPACITY} events behind. */
    FELL_BEHIND,
    /** The agent is shutting down. */
    SHUTTING_DOWN
  }
}
