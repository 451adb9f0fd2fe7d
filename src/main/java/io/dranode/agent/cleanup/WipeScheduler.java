package io.dranode.agent.cleanup;

import java.time.Instant;

/**
 * The scheduling seam of the cleanup: production runs on the application's {@code TaskScheduler};
 * tests drive a manual implementation and a mutable clock, so a 30 s delay takes no time.
 */
public interface WipeScheduler {

  /** Runs the task at (or soon after) the given instant, unless cancelled first. */
  Cancellable schedule(Runnable task, Instant at);

  /** A scheduled task. */
  interface Cancellable {
    /** Cancels the task if it has not started; a running task is not interrupted. */
    void cancel();
  }
}
