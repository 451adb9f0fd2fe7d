package io.dranode.agent.cleanup;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.DriverState;
import io.dranode.agent.plugin.DriverStateListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.util.backoff.BackOffExecution;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * The pending-wipe state machine. A driver that becomes unusable gets a wipe due one grace period
 * later (a second request keeps the first deadline); the driver becoming usable cancels it, and a
 * running wipe issues no further delete (those already in flight, at most {@code
 * dra.agent.wipe.parallel-deletes}, end and are counted). A driver with an instance that registered
 * and is still connecting is not wiped: a wipe due meanwhile is held until that instance connects
 * (cancelled) or fails (resumed with its first deadline). Failed attempts are rescheduled with the
 * kubelet's backoff (1 s, ×2, jitter, cap 5 min) on the scheduler: no thread sleeps. {@link
 * #stop()} cancels everything and refuses new work, so that nothing of ours runs after the context
 * closes.
 */
@Component
public class PendingWipes implements DriverStateListener, SmartLifecycle {

  /** Stops first: no wipe may be scheduled by connections closing during shutdown. */
  public static final int PHASE = 400;

  static final int HISTORY_SIZE = 50;

  private static final Logger log = LoggerFactory.getLogger(PendingWipes.class);

  private final WipeScheduler scheduler;
  private final SliceWiper wiper;
  private final EventBus events;
  private final Clock clock;
  private final AgentProperties.Wipe config;
  private final ExponentialBackOff backOff;

  // ReentrantLock, not a monitor, for the race check: see PluginStoreInterleavingTest's javadoc.
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Entry> entries = new TreeMap<>(); // guarded by lock
  private final Deque<WipeRecord> history = new ArrayDeque<>(); // guarded by lock
  // Drivers last reported USABLE or CONNECTING: their slices are served, never wiped. Tracked here,
  // under our lock, so that a request racing with a registration cannot slip in after it.
  private final Map<String, DriverState> served = new HashMap<>(); // guarded by lock
  private boolean stopped; // guarded by lock
  private final LongAdder[] finished = new LongAdder[WipeRecord.Result.values().length];
  private final LongAdder deleted = new LongAdder();
  private final LongAdder completed = new LongAdder();
  private final LongAdder completedMillis = new LongAdder();
  private volatile boolean running;

  public PendingWipes(
      WipeScheduler scheduler,
      SliceWiper wiper,
      EventBus events,
      Clock clock,
      AgentProperties properties) {
    this.scheduler = scheduler;
    this.wiper = wiper;
    this.events = events;
    this.clock = clock;
    this.config = properties.wipe();
    this.backOff = new ExponentialBackOff(config.retryInitial().toMillis(), 2.0);
    this.backOff.setMaxInterval(config.retryMax().toMillis());
    // Spring's jitter is absolute and grows with the interval: 20 % of the first delay.
    this.backOff.setJitter(config.retryInitial().toMillis() / 5);
    for (WipeRecord.Result result : WipeRecord.Result.values()) {
      finished[result.ordinal()] = new LongAdder();
    }
  }

  /** One wipe, from scheduling to its end. Fields guarded by the outer lock. */
  private static final class Entry {
    final String driver;
    final Instant scheduledAt;
    final Instant dueAt;
    final String reason;
    WipeScheduler.@Nullable Cancellable handle;
    @Nullable BackOffExecution retries;
    @Nullable Instant startedAt;
    @Nullable String lastError;
    int attempts;
    boolean cancelled;
    boolean held; // due while an instance was connecting; waits for the driver's next state
    boolean inFlight; // an attempt is calling the API server
    @Nullable String cancelledWhileInFlight; // why; recorded when that attempt returns

    Entry(String driver, Instant scheduledAt, Instant dueAt, String reason) {
      this.driver = driver;
      this.scheduledAt = scheduledAt;
      this.dueAt = dueAt;
      this.reason = reason;
    }
  }

  @Override
  public void driverStateChanged(String driver, DriverState state, String reason) {
    lock.lock();
    try {
      switch (state) {
        case UNUSABLE -> {
          served.remove(driver);
          Entry entry = entries.get(driver);
          if (entry != null && entry.held) {
            resume(entry, reason);
          } else {
            request(driver, reason, clock.instant().plus(config.delay()));
          }
        }
        case USABLE -> {
          served.put(driver, state);
          cancel(driver, "driver usable again (" + reason + ")");
        }
        // Neither schedules nor cancels: the connection attempt decides, and a wipe that falls
        // due meanwhile is held.
        case CONNECTING -> served.put(driver, state);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Schedules a wipe due at the given time, unless one is pending already (its deadline stays) or
   * the driver is usable or connecting (a sweep that saw it unusable a moment ago is refused).
   */
  public void request(String driver, String reason, Instant dueAt) {
    lock.lock();
    try {
      if (stopped || !config.enabled() || entries.containsKey(driver)) {
        return;
      }
      if (served.containsKey(driver)) {
        log.debug("No wipe of {}: it is {} ({})", driver, served.get(driver), reason);
        return;
      }
      Entry entry = new Entry(driver, clock.instant(), dueAt, reason);
      entries.put(driver, entry);
      entry.handle = scheduler.schedule(() -> run(entry), dueAt);
      publish(AgentEvent.Type.WIPE_SCHEDULED, driver, "due at " + dueAt + ": " + reason);
      log.info(
          "ResourceSlices of {} will be wiped at {} unless it comes back: {}",
          driver,
          dueAt,
          reason);
    } finally {
      lock.unlock();
    }
  }

  /** Cancels a driver's pending wipe; a running one issues no further delete. */
  public void cancel(String driver, String why) {
    lock.lock();
    try {
      Entry entry = entries.remove(driver);
      if (entry == null) {
        return;
      }
      entry.cancelled = true;
      if (entry.handle != null) {
        entry.handle.cancel();
      }
      if (entry.inFlight) {
        // A delete already sent cannot be taken back: the record waits for the attempt to say
        // how many slices went, so that the history never claims fewer deletions than happened.
        entry.cancelledWhileInFlight = why;
      } else {
        record(entry, 0, WipeRecord.Result.CANCELLED, why);
      }
      publish(AgentEvent.Type.WIPE_CANCELLED, driver, why);
      log.info("Wipe of {} cancelled: {}", driver, why);
    } finally {
      lock.unlock();
    }
  }

  private void run(Entry entry) {
    lock.lock();
    try {
      if (stopped || entry.cancelled || entries.get(entry.driver) != entry) {
        return;
      }
      entry.handle = null;
      if (served.containsKey(entry.driver)) {
        hold(entry);
        return;
      }
      entry.attempts++;
      if (entry.startedAt == null) {
        entry.startedAt = clock.instant();
      }
      entry.inFlight = true;
    } finally {
      lock.unlock();
    }
    SliceWiper.Outcome outcome;
    MDC.put("driver", entry.driver);
    try {
      outcome = wiper.wipe(entry.driver, config.dryRun(), () -> stillWanted(entry));
    } catch (RuntimeException e) {
      retry(entry, e);
      return;
    } finally {
      MDC.remove("driver");
    }
    lock.lock();
    try {
      if (finishedCancelled(entry, outcome.deleted())) {
        return;
      }
      if (stopped || entry.cancelled) {
        return; // cancel() or stop() already accounted for it
      }
      if (outcome.stoppedEarly()) {
        // An instance registered while we were deleting. If it already failed again, its
        // UNUSABLE found this entry not held: go on at once instead of waiting for another change.
        if (served.containsKey(entry.driver)) {
          hold(entry);
        } else {
          resume(entry, "the instance that interrupted the wipe is gone again");
        }
        return;
      }
      if (entries.get(entry.driver) == entry) {
        entries.remove(entry.driver);
      }
      WipeRecord.Result result =
          config.dryRun() ? WipeRecord.Result.DRY_RUN : WipeRecord.Result.DELETED;
      String detail =
          (config.dryRun() ? "dry run: would have deleted " : "deleted ")
              + outcome.deleted()
              + " ResourceSlice(s) after "
              + entry.attempts
              + " attempt(s)";
      record(entry, outcome.deleted(), result, detail);
      publish(AgentEvent.Type.WIPED, entry.driver, detail);
      log.info("Wipe of {}: {}", entry.driver, detail);
    } finally {
      lock.unlock();
    }
  }

  private void retry(Entry entry, RuntimeException failure) {
    String error = failure.getMessage() == null ? failure.toString() : failure.getMessage();
    // A failed attempt may still have deleted some slices before it ended.
    int deletedBeforeFailure =
        failure instanceof SliceWiper.RetryableWipeException retryable ? retryable.deleted() : 0;
    lock.lock();
    try {
      if (finishedCancelled(entry, deletedBeforeFailure)) {
        return;
      }
      if (stopped || entry.cancelled || entries.get(entry.driver) != entry) {
        return;
      }
      entry.lastError = error;
      BackOffExecution retries = entry.retries;
      if (retries == null) {
        retries = backOff.start();
        entry.retries = retries;
      }
      long delay = retries.nextBackOff();
      if (delay == BackOffExecution.STOP) {
        entries.remove(entry.driver);
        record(entry, 0, WipeRecord.Result.FAILED, error);
        log.error("Wipe of {} gave up after {} attempts: {}", entry.driver, entry.attempts, error);
        return;
      }
      if (entry.attempts == 1) {
        log.info("Wipe of {} failed, retrying with backoff: {}", entry.driver, error);
      } else {
        log.debug("Wipe of {} failed again (attempt {}): {}", entry.driver, entry.attempts, error);
      }
      // The server's own estimate wins over a shorter backoff step (never beyond the cap): retrying
      // earlier than a 429's Retry-After only adds to the load that made it refuse.
      if (failure instanceof SliceWiper.RetryableWipeException retryable) {
        long asked = Math.min(retryable.retryAfter().toMillis(), config.retryMax().toMillis());
        delay = Math.max(delay, asked);
      }
      Instant next = clock.instant().plus(Duration.ofMillis(delay));
      entry.handle = scheduler.schedule(() -> run(entry), next);
    } finally {
      lock.unlock();
    }
  }

  private boolean stillWanted(Entry entry) {
    lock.lock();
    try {
      return !stopped && !entry.cancelled && !served.containsKey(entry.driver);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Ends an attempt; if the wipe was cancelled meanwhile, records the cancellation with what the
   * attempt deleted and returns true. Caller holds the lock.
   */
  private boolean finishedCancelled(Entry entry, int deleted) {
    entry.inFlight = false;
    String why = entry.cancelledWhileInFlight;
    if (why == null) {
      return false;
    }
    entry.cancelledWhileInFlight = null;
    record(
        entry,
        deleted,
        WipeRecord.Result.CANCELLED,
        deleted == 0
            ? why
            : why + "; " + deleted + " ResourceSlice(s) already deleted before it took effect");
    return true;
  }

  /** Parks a due wipe while an instance of its driver connects. Caller holds the lock. */
  private void hold(Entry entry) {
    entry.held = true;
    log.info("Wipe of {} held: an instance registered and is connecting", entry.driver);
  }

  /**
   * The connecting instance failed: the held wipe runs, on its first deadline. Caller holds the
   * lock.
   */
  private void resume(Entry entry, String reason) {
    entry.held = false;
    Instant now = clock.instant();
    Instant at = entry.dueAt.isAfter(now) ? entry.dueAt : now;
    entry.handle = scheduler.schedule(() -> run(entry), at);
    log.info("Wipe of {} resumed, due at {}: {}", entry.driver, at, reason);
  }

  /** Wipes that are due or being retried, by driver name. */
  public List<PendingWipe> pending() {
    lock.lock();
    try {
      List<PendingWipe> pending = new ArrayList<>(entries.size());
      for (Entry e : entries.values()) {
        pending.add(new PendingWipe(e.driver, e.dueAt, e.reason, e.attempts, e.lastError));
      }
      return pending;
    } finally {
      lock.unlock();
    }
  }

  public Optional<PendingWipe> pendingFor(String driver) {
    lock.lock();
    try {
      Entry e = entries.get(driver);
      return e == null
          ? Optional.empty()
          : Optional.of(new PendingWipe(e.driver, e.dueAt, e.reason, e.attempts, e.lastError));
    } finally {
      lock.unlock();
    }
  }

  /** Finished wipes, newest first, at most {@value #HISTORY_SIZE}. */
  public List<WipeRecord> recent() {
    lock.lock();
    try {
      return List.copyOf(history);
    } finally {
      lock.unlock();
    }
  }

  /** How many wipes ended with this result since start. */
  public long finished(WipeRecord.Result result) {
    return finished[result.ordinal()].sum();
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

  private void record(Entry entry, int count, WipeRecord.Result result, String detail) {
    Instant started = entry.startedAt == null ? entry.scheduledAt : entry.startedAt;
    Instant now = clock.instant();
    finished[result.ordinal()].increment();
    if (result == WipeRecord.Result.DELETED) {
      deleted.add(count);
    }
    if (result == WipeRecord.Result.DELETED || result == WipeRecord.Result.DRY_RUN) {
      completed.increment();
      completedMillis.add(Duration.between(started, now).toMillis());
    }
    history.addFirst(new WipeRecord(entry.driver, started, now, count, result, detail));
    while (history.size() > HISTORY_SIZE) {
      history.removeLast();
    }
  }

  private void publish(AgentEvent.Type type, String driver, String detail) {
    events.publish(new AgentEvent(type, clock.instant(), driver, null, detail));
  }

  @Override
  public void start() {
    lock.lock();
    try {
      stopped = false;
    } finally {
      lock.unlock();
    }
    running = true;
    if (!config.enabled()) {
      log.warn("ResourceSlice wipes are disabled (dra.agent.wipe.enabled=false)");
    } else if (config.dryRun()) {
      log.warn("ResourceSlice wipes run dry (dra.agent.wipe.dry-run=true): nothing is deleted");
    }
  }

  /** Cancels every pending wipe and refuses new ones; a running wipe issues no further delete. */
  @Override
  public void stop() {
    lock.lock();
    try {
      stopped = true;
      for (Entry entry : entries.values()) {
        entry.cancelled = true;
        if (entry.handle != null) {
          entry.handle.cancel();
        }
      }
      entries.clear();
    } finally {
      lock.unlock();
    }
    running = false;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
