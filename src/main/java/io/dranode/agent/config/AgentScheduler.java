package io.dranode.agent.config;

import java.time.Duration;
import java.time.Instant;

/**
 * The scheduling seam of every delayed task of the agent: wipes, retries, sweeps, re-checks.
 * Production runs on the context's one {@code TaskScheduler}; tests drive a manual implementation
 * and a mutable clock, so that a 30 s grace period takes no time.
 */
public interface AgentScheduler {

  /** Runs the task at (or soon after) the given instant of the agent's clock, unless cancelled. */
  Cancellable schedule(Runnable task, Instant at);

  /** Runs the task once the delay has passed, unless cancelled. */
  Cancellable scheduleAfter(Runnable task, Duration delay);

  /** A scheduled task. */
  interface Cancellable {
    /** Cancels the task if it has not started; a running task is not interrupted. */
    void cancel();
  }
}
