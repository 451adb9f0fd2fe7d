package io.dranode.agent.cleanup;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.config.Phases;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.event.Subscription;
import io.dranode.agent.plugin.DriverState;
import io.dranode.agent.plugin.DriverStateListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * closes. Finished wipes go to the {@link WipeHistory}.
 */
@Component
public class PendingWipes implements DriverStateListener, SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(PendingWipes.class);

  private final AgentScheduler scheduler;
  private final SliceWiper wiper;
  private final WipeHistory history;
  private final EventBus events;
  private final Clock clock;
  private final AgentProperties.Wipe config;
  private final ExponentialBackOff backOff;
  private final List<WipeListener> listeners = new CopyOnWriteArrayList<>();

  // A ReentrantLock rather than a monitor: see PluginStoreInterleavingTest.
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Entry> entries = new TreeMap<>(); // guarded by lock
  // Live drivers, last reported USABLE or CONNECTING: their slices are never wiped. Tracked here,
  // under our lock, so that a request racing with a registration cannot slip in after it.
  private final Map<String, DriverState> live = new HashMap<>(); // guarded by lock
  private boolean stopped; // guarded by lock
  private volatile boolean running;

  public PendingWipes(
      AgentScheduler scheduler,
      SliceWiper wiper,
      WipeHistory history,
      EventBus events,
      Clock clock,
      AgentProperties properties) {
    this.scheduler = scheduler;
    this.wiper = wiper;
    this.history = history;
    this.events = events;
    this.clock = clock;
    this.config = properties.wipe();
    this.backOff = new ExponentialBackOff(config.retryInitial().toMillis(), 2.0);
    this.backOff.setMaxInterval(config.retryMax().toMillis());
    // Spring's jitter is absolute and grows with the interval: 20 % of the first delay.
    this.backOff.setJitter(config.retryInitial().toMillis() / 5);
  }

  /** One wipe, from scheduling to its end. Fields guarded by the outer lock. */
  private static final class Entry {
    final String driver;
    final WipeCause cause;
    final Instant scheduledAt;
    final Instant dueAt;
    final String reason;
    AgentScheduler.@Nullable Cancellable handle;
    @Nullable BackOffExecution retries;
    @Nullable Instant startedAt;
    @Nullable String lastError;
    int attempts;
    boolean cancelled;
    boolean held; // due while an instance connects: waits for that instance's outcome
    boolean inFlight; // an attempt is running: its deletes may still be landing
    @Nullable String cancelledWhileInFlight; // why, if cancelled while an attempt was running

    Entry(String driver, WipeCause cause, Instant scheduledAt, Instant dueAt, String reason) {
      this.driver = driver;
      this.cause = cause;
      this.scheduledAt = scheduledAt;
      this.dueAt = dueAt;
      this.reason = reason;
    }

    PendingWipe view() {
      return new PendingWipe(driver, cause, dueAt, reason, attempts, lastError);
    }

    Instant started() {
      Instant started = startedAt;
      return started == null ? scheduledAt : started;
    }
  }

  /** Adds a listener; closing the handle removes it. */
  public Subscription subscribe(WipeListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  @Override
  public void driverStateChanged(String driver, DriverState state, String reason) {
    lock.lock();
    try {
      switch (state) {
        case UNUSABLE -> {
          live.remove(driver);
          Entry entry = entries.get(driver);
          if (entry != null && entry.held) {
            resume(entry, reason);
          } else {
            request(
                driver, WipeCause.DRIVER_UNUSABLE, reason, clock.instant().plus(config.delay()));
          }
        }
        case USABLE -> {
          live.put(driver, state);
          cancel(driver, "driver usable again (" + reason + ")");
        }
        // Neither schedules nor cancels: the connection attempt decides, and a wipe that falls
        // due meanwhile is held.
        case CONNECTING -> live.put(driver, state);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Schedules a wipe due at the given time, unless one is pending already (its deadline stays) or
   * the driver is live (a sweep that saw it unusable a moment ago is refused).
   */
  public void request(String driver, WipeCause cause, String reason, Instant dueAt) {
    lock.lock();
    try {
      if (stopped || !config.enabled() || entries.containsKey(driver)) {
        return;
      }
      if (config.ignores(driver)) {
        log.debug("No wipe of {}: it is in dra.agent.wipe.ignore-drivers ({})", driver, reason);
        return;
      }
      if (live.containsKey(driver)) {
        log.debug("No wipe of {}: it is {} ({})", driver, live.get(driver), reason);
        return;
      }
      Entry entry = new Entry(driver, cause, clock.instant(), dueAt, reason);
      entries.put(driver, entry);
      entry.handle = scheduler.schedule(() -> run(entry), dueAt);
      PendingWipe view = entry.view();
      listeners.forEach(l -> l.wipeScheduled(view));
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
      PendingWipe view = entry.view();
      listeners.forEach(l -> l.wipeCancelled(view, why));
      if (entry.inFlight) {
        // A delete already sent cannot be taken back: the record waits for the attempt to say
        // how many slices went, so that the history never claims fewer deletions than happened.
        entry.cancelledWhileInFlight = why;
      } else {
        finish(entry, 0, WipeRecord.Result.CANCELLED, why);
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
      if (live.containsKey(entry.driver)) {
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
        if (live.containsKey(entry.driver)) {
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
      finish(entry, outcome.deleted(), result, detail);
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
        finish(entry, 0, WipeRecord.Result.FAILED, error);
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
      PendingWipe view = entry.view();
      listeners.forEach(l -> l.wipeAttemptFailed(view, next));
    } finally {
      lock.unlock();
    }
  }

  private boolean stillWanted(Entry entry) {
    lock.lock();
    try {
      return !stopped && !entry.cancelled && !live.containsKey(entry.driver);
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
    finish(
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
        pending.add(e.view());
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
      return e == null ? Optional.empty() : Optional.of(e.view());
    } finally {
      lock.unlock();
    }
  }

  /** Records a finished wipe and tells the listeners. Caller holds the lock. */
  private void finish(Entry entry, int count, WipeRecord.Result result, String detail) {
    WipeRecord record =
        new WipeRecord(
            entry.driver, entry.cause, entry.started(), clock.instant(), count, result, detail);
    history.record(record);
    listeners.forEach(l -> l.wipeFinished(record));
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
    return Phases.WIPES;
  }
}
