package io.dranode.agent.config;

import java.time.Clock;
import org.springframework.scheduling.TaskScheduler;

/** Lets tests of other packages schedule in real time through the production seam. */
public final class TestSchedulers {

  private TestSchedulers() {}

  /**
   * The production {@link AgentScheduler} on the given scheduler; instants are of {@code clock}.
   */
  public static AgentScheduler on(TaskScheduler scheduler, Clock clock) {
    return new TaskSchedulerAgentScheduler(scheduler, clock);
  }
}
