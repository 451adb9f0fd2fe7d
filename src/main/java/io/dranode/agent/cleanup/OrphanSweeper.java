package io.dranode.agent.cleanup;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.config.Phases;
import io.dranode.agent.plugin.PluginStore;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Finds this node's slices that no usable driver serves. Unlike the kubelet, which deletes every
 * slice of the node when it starts, the agent first lets the registry scan register the live
 * drivers and sweeps one grace period after start, so a live driver never loses its slices because
 * the agent restarted. While a registration socket found then has not answered yet (a plugin slow
 * to start, an agent short of CPU), the start-up sweep waits for it, at most one more grace period:
 * the driver behind it may be one whose slices are here. Afterwards it sweeps every {@code
 * sweep-interval}, from the informer's cache (no API call); orphans found then get the normal grace
 * period.
 */
@Component
public class OrphanSweeper implements SmartLifecycle {

  /** How often a held start-up sweep looks again. */
  static final Duration HOLD_RECHECK = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(OrphanSweeper.class);

  private final SliceInventory inventory;
  private final SweepExemptions exemptions;
  private final PluginStore store;
  private final PendingWipes wipes;
  private final AgentScheduler scheduler;
  private final Clock clock;
  private final AgentProperties.Wipe config;

  private final Object lock = new Object();
  private AgentScheduler.@Nullable Cancellable next; // guarded by lock
  private boolean startupSweepDone; // guarded by lock
  private @Nullable Instant startedAt; // guarded by lock
  private boolean toldHolding; // guarded by lock
  private volatile boolean running;

  public OrphanSweeper(
      SliceInventory inventory,
      SweepExemptions exemptions,
      PluginStore store,
      PendingWipes wipes,
      AgentScheduler scheduler,
      Clock clock,
      AgentProperties properties) {
    this.inventory = inventory;
    this.exemptions = exemptions;
    this.store = store;
    this.wipes = wipes;
    this.scheduler = scheduler;
    this.clock = clock;
    this.config = properties.wipe();
  }

  @Override
  public void start() {
    synchronized (lock) {
      running = true;
      startedAt = clock.instant();
      if (config.enabled()) {
        scheduleNext(config.delay());
      }
    }
  }

  private void scheduleNext(Duration after) {
    if (running) {
      next = scheduler.schedule(this::sweep, clock.instant().plus(after));
    }
  }

  /** One sweep; reschedules itself. */
  void sweep() {
    synchronized (lock) {
      if (!running) {
        return;
      }
      if (!inventory.synced()) {
        log.info("ResourceSlices not known yet (API server unreachable?); sweeping later");
        scheduleNext(startupSweepDone ? config.sweepInterval() : config.delay());
        return;
      }
      boolean startup = !startupSweepDone;
      if (startup && holdStartup()) {
        return;
      }
      Set<String> live = store.liveDrivers();
      for (Map.Entry<String, List<ResourceSlice>> slices : inventory.byDriver().entrySet()) {
        String driver = slices.getKey();
        String kept = exemptions.keptBecause(driver, slices.getValue());
        if (kept != null) {
          log.debug("Slices of {} are not swept: {}", driver, kept);
        } else if (!live.contains(driver)) {
          // At start-up the grace period has already passed since the agent started.
          wipes.request(
              driver,
              WipeCause.ORPHANED,
              startup
                  ? "start-up sweep: slices of a driver that did not come back"
                  : "orphaned slices: no usable driver on this node",
              startup ? clock.instant() : clock.instant().plus(config.delay()));
        }
      }
      startupSweepDone = true;
      scheduleNext(config.sweepInterval());
    }
  }

  /**
   * Whether the start-up sweep waits for unanswered registration sockets; if so, it is scheduled
   * again shortly. Caller holds the lock.
   */
  private boolean holdStartup() {
    int unanswered = store.unansweredSockets();
    Instant started = startedAt;
    if (unanswered == 0 || started == null) {
      return false;
    }
    Instant latest = started.plus(config.delay()).plus(config.delay());
    if (!clock.instant().isBefore(latest)) {
      log.info(
          "Start-up sweep goes ahead although {} registration socket(s) never answered",
          unanswered);
      return false;
    }
    if (!toldHolding) {
      toldHolding = true;
      log.info(
          "Start-up sweep waits for {} registration socket(s) whose plugins have not answered yet",
          unanswered);
    }
    scheduleNext(HOLD_RECHECK.compareTo(config.delay()) < 0 ? HOLD_RECHECK : config.delay());
    return true;
  }

  @Override
  public void stop() {
    synchronized (lock) {
      running = false;
      if (next != null) {
        next.cancel();
        next = null;
      }
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return Phases.SWEEP;
  }
}
