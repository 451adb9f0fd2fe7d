package io.dranode.agent.cleanup;

import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;

/** The production {@link WipeScheduler}: the application's one {@code TaskScheduler}. */
@Component
class TaskSchedulerWipeScheduler implements WipeScheduler {

  private final TaskScheduler scheduler;

  TaskSchedulerWipeScheduler(TaskScheduler scheduler) {
    this.scheduler = scheduler;
  }

  @Override
  public Cancellable schedule(Runnable task, Instant at) {
    ScheduledFuture<?> future = scheduler.schedule(task, at);
    return () -> future.cancel(false);
  }
}
