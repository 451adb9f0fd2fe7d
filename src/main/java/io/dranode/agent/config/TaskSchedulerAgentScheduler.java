package io.dranode.agent.config;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.TaskScheduler;

/**
 * The production {@link AgentScheduler}: the context's one {@code TaskScheduler}. Instants are of
 * the agent's clock; the scheduler waits by its own, so a delay is computed from the agent's clock
 * and handed over as a delay. Once the context closes the scheduler refuses tasks; a task offered
 * then is dropped (nothing of ours may run after close).
 */
final class TaskSchedulerAgentScheduler implements AgentScheduler {

  private static final Logger log = LoggerFactory.getLogger(TaskSchedulerAgentScheduler.class);

  private final TaskScheduler scheduler;
  private final Clock clock;

  TaskSchedulerAgentScheduler(TaskScheduler scheduler, Clock clock) {
    this.scheduler = scheduler;
    this.clock = clock;
  }

  @Override
  public Cancellable schedule(Runnable task, Instant at) {
    return scheduleAfter(task, Duration.between(clock.instant(), at));
  }

  @Override
  public Cancellable scheduleAfter(Runnable task, Duration delay) {
    Duration wait = delay.isNegative() ? Duration.ZERO : delay;
    ScheduledFuture<?> future;
    try {
      future = scheduler.schedule(task, scheduler.getClock().instant().plus(wait));
    } catch (RejectedExecutionException e) {
      log.debug("Task not scheduled: the scheduler is shut down");
      return () -> {};
    }
    return () -> future.cancel(false);
  }
}
