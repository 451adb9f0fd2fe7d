package io.dranode.agent.testing;

import io.dranode.agent.config.AgentScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;

/**
 * An {@link AgentScheduler} driven by the test: nothing runs until {@link #advance} moves the
 * clock, and then every task that became due runs on the calling thread, in due-time order (ties in
 * scheduling order). Tasks may schedule further tasks; those run in the same call when they are due
 * by its end. No real time passes, so a 30 s grace period takes microseconds.
 */
public final class ManualScheduler implements AgentScheduler {

  private final MutableClock clock;
  private final PriorityQueue<Task> queue = new PriorityQueue<>(); // guarded by this
  private long sequence; // guarded by this
  private int executed; // guarded by this

  public ManualScheduler(MutableClock clock) {
    this.clock = clock;
  }

  private final class Task implements Comparable<Task>, Cancellable {
    final Runnable body;
    final Instant at;
    final long order;

    Task(Runnable body, Instant at, long order) {
      this.body = body;
      this.at = at;
      this.order = order;
    }

    @Override
    public int compareTo(Task other) {
      int byTime = at.compareTo(other.at);
      return byTime != 0 ? byTime : Long.compare(order, other.order);
    }

    @Override
    public void cancel() {
      synchronized (ManualScheduler.this) {
        queue.remove(this);
      }
    }
  }

  @Override
  public synchronized Cancellable schedule(Runnable task, Instant at) {
    Task scheduled = new Task(task, at, sequence++);
    queue.add(scheduled);
    return scheduled;
  }

  @Override
  public Cancellable scheduleAfter(Runnable task, Duration delay) {
    return schedule(task, clock.instant().plus(delay));
  }

  /**
   * Moves the clock forward and runs, in order, every task due by the new time, each with the clock
   * set to its own due time (so that what it schedules is relative to when it ran).
   */
  public void advance(Duration by) {
    Instant target = clock.instant().plus(by);
    while (true) {
      Task next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.at.isAfter(target)) {
          break;
        }
        queue.poll();
        executed++;
      }
      if (next.at.isAfter(clock.instant())) {
        clock.set(next.at);
      }
      next.body.run();
    }
    clock.set(target);
  }

  /** Runs what is due now without moving the clock. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /** Moves the clock to the next task's due time and runs everything due then. */
  public void advanceToNext() {
    Optional<Instant> next = nextDue();
    if (next.isEmpty()) {
      throw new IllegalStateException("nothing is scheduled");
    }
    Duration by = Duration.between(clock.instant(), next.get());
    advance(by.isNegative() ? Duration.ZERO : by);
  }

  public synchronized Optional<Instant> nextDue() {
    Task next = queue.peek();
    return next == null ? Optional.empty() : Optional.of(next.at);
  }

  /** Due times of every queued task, earliest first. */
  public synchronized List<Instant> queued() {
    List<Task> tasks = new ArrayList<>(queue);
    tasks.sort(null);
    List<Instant> times = new ArrayList<>(tasks.size());
    for (Task task : tasks) {
      times.add(task.at);
    }
    return times;
  }

  public synchronized int executed() {
    return executed;
  }

  /**
   * The oldest queued task, taken out of the queue without running it, for tests that run it on a
   * thread of their choice.
   */
  public synchronized Runnable takeNext() {
    Task next = queue.poll();
    if (next == null) {
      throw new IllegalStateException("nothing is scheduled");
    }
    executed++;
    return next.body;
  }
}
