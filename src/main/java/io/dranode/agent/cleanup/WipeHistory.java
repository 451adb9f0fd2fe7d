package io.dranode.agent.cleanup;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.stereotype.Component;

/**
 * What finished wipes did: the most recent ones, newest first, and running totals for metrics.
 * Written by {@link PendingWipes} as each wipe ends.
 */
@Component
public class WipeHistory {

  /** Finished wipes kept for the APIs. */
  static final int SIZE = 50;

  // A ReentrantLock rather than a monitor: see PluginStoreInterleavingTest.
  private final ReentrantLock lock = new ReentrantLock();
  private final Deque<WipeRecord> recent = new ArrayDeque<>(); // guarded by lock
  private final Map<WipeRecord.Result, LongAdder> finished = new EnumMap<>(WipeRecord.Result.class);
  private final LongAdder deleted = new LongAdder();
  private final LongAdder completed = new LongAdder();
  private final LongAdder completedMillis = new LongAdder();

  public WipeHistory() {
    for (WipeRecord.Result result : WipeRecord.Result.values()) {
      finished.put(result, new LongAdder());
    }
  }

  /** Adds a finished wipe; a completed one counts towards the duration totals. */
  void record(WipeRecord record) {
    counter(record.result()).increment();
    if (record.result() == WipeRecord.Result.DELETED) {
      deleted.add(record.deleted());
    }
    if (record.result() == WipeRecord.Result.DELETED
        || record.result() == WipeRecord.Result.DRY_RUN) {
      completed.increment();
      completedMillis.add(Duration.between(record.startedAt(), record.finishedAt()).toMillis());
    }
    lock.lock();
    try {
      recent.addFirst(record);
      while (recent.size() > SIZE) {
        recent.removeLast();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Finished wipes, newest first, at most {@value #SIZE}. */
  public List<WipeRecord> recent() {
    lock.lock();
    try {
      return List.copyOf(recent);
    } finally {
      lock.unlock();
    }
  }

  /** How many wipes ended with this result since start. */
  public long finished(WipeRecord.Result result) {
    return counter(result).sum();
  }

  private LongAdder counter(WipeRecord.Result result) {
    return Objects.requireNonNull(finished.get(result), "every result has a counter");
  }

  /** Slices deleted by wipes since start. */
  public long deletedTotal() {
    return deleted.sum();
  }

  /** Wipes that completed (deleted or dry run) since start. */
  public long completedWipes() {
    return completed.sum();
  }

  /** Sum of the durations of completed wipes, first attempt to end, in seconds. */
  public double wipeSecondsTotal() {
    return completedMillis.sum() / 1000.0;
  }
}
