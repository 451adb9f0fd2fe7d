package io.dranode.agent.security;

import io.dranode.agent.config.AgentScheduler;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs reviews, at most a fixed number at once, on the context's review executor. A review beyond
 * the bound is not queued: its future fails at once ({@link ReviewFailure#busy()}), so callers
 * never pile up behind a slow API server and a flood of distinct tokens never becomes a flood of
 * requests. A caller's answer also fails after the review timeout; the request itself keeps its
 * place in the bound until the client gives up on it.
 */
final class ReviewRunner {

  private static final Logger log = LoggerFactory.getLogger(ReviewRunner.class);

  private final Executor executor;
  private final AgentScheduler scheduler;
  private final Duration timeout;
  private final int max;
  private final Semaphore permits;

  ReviewRunner(Executor executor, AgentScheduler scheduler, int max, Duration timeout) {
    this.executor = executor;
    this.scheduler = scheduler;
    this.timeout = timeout;
    this.max = max;
    this.permits = new Semaphore(max);
  }

  <V> CompletableFuture<V> run(Callable<V> review) {
    if (!permits.tryAcquire()) {
      return CompletableFuture.failedFuture(
          new ReviewFailure(
              "the agent has "
                  + max
                  + " reviews in flight at the Kubernetes API server already; retry shortly",
              ReviewFailure.Cause.BUSY));
    }
    CompletableFuture<V> answer = new CompletableFuture<>();
    AgentScheduler.Cancellable timer;
    try {
      timer =
          scheduler.scheduleAfter(
              () -> {
                if (answer.completeExceptionally(
                    new ReviewFailure(
                        "the Kubernetes API server did not answer within " + timeout,
                        ReviewFailure.Cause.NO_ANSWER))) {
                  log.debug("A review got no answer within {}; its caller is refused", timeout);
                }
              },
              timeout);
    } catch (RuntimeException e) { // the scheduler refuses work once the context closes
      permits.release();
      return CompletableFuture.failedFuture(shuttingDown());
    }
    try {
      executor.execute(
          () -> {
            try {
              V value = review.call();
              permits.release(); // before completing: what follows may start the next review
              answer.complete(value);
            } catch (Exception | Error e) {
              permits.release();
              answer.completeExceptionally(
                  e instanceof ReviewFailure
                      ? e
                      : new ReviewFailure(
                          "the review failed: " + e.getClass().getSimpleName(),
                          ReviewFailure.Cause.NO_ANSWER));
            } finally {
              timer.cancel();
            }
          });
    } catch (RejectedExecutionException e) {
      permits.release();
      timer.cancel();
      answer.completeExceptionally(shuttingDown());
    }
    return answer;
  }

  /** Reviews running now. */
  int inFlight() {
    return max - permits.availablePermits();
  }

  private static ReviewFailure shuttingDown() {
    return new ReviewFailure("the agent is shutting down", ReviewFailure.Cause.SHUTTING_DOWN);
  }
}
