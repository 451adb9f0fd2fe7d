package io.dranode.agent.devicehealth;

import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginConnections;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.PluginStore;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health stream of each driver, kept in line with the store as upstream's kubelet does (2026):
 * one stream per driver, on its newest instance if that one advertises a health service (no
 * fallback to an older instance); a newer advertising instance takes over; a failed stream is
 * re-opened after the retry interval; {@code UNIMPLEMENTED} ends it for that instance for good.
 * Every decision re-reads the store under this object's lock, so reconciliations never apply a
 * stale view. Lock order: this lock, then the store's; never the other way round.
 */
final class HealthWatches {

  private static final Logger log = LoggerFactory.getLogger(HealthWatches.class);

  private final PluginStore store;
  private final PluginConnections connections;
  private final AgentScheduler scheduler;
  private final Clock clock;
  private final Duration retryInterval;
  private final DeviceTable table;
  private final DeviceHealthListener changed;

  private final Object lock = new Object();
  private final Map<String, Watch> watches = new HashMap<>(); // guarded by lock
  private final Set<Instance> unimplemented = new HashSet<>(); // guarded by lock
  private boolean open; // guarded by lock

  HealthWatches(
      PluginStore store,
      PluginConnections connections,
      AgentScheduler scheduler,
      Clock clock,
      Duration retryInterval,
      DeviceTable table,
      DeviceHealthListener changed) {
    this.store = store;
    this.connections = connections;
    this.scheduler = scheduler;
    this.clock = clock;
    this.retryInterval = retryInterval;
    this.table = table;
    this.changed = changed;
  }

  /** One registration of an instance: a re-registration on the same endpoint is another one. */
  record Instance(String driver, String endpoint, Instant registeredAt) {
    static Instance of(PluginInstance instance) {
      return new Instance(instance.driver(), instance.endpoint(), instance.registeredAt());
    }
  }

  void start() {
    synchronized (lock) {
      open = true;
    }
  }

  /** Cancels every stream and pending retry; later reconciliations do nothing. */
  void stop() {
    synchronized (lock) {
      open = false;
      watches.values().forEach(w -> w.close("agent stopping"));
      watches.clear();
    }
  }

  /** Whether the driver's health can be known, from its newest instance as the store has it. */
  HealthSupport support(String driver) {
    synchronized (lock) {
      List<PluginInstance> instances =
          store.driver(driver).map(DriverView::instances).orElse(List.of());
      if (instances.isEmpty()) {
        return HealthSupport.NO_INSTANCE;
      }
      PluginInstance newest = instances.get(instances.size() - 1);
      if (supported(newest.healthService()) == null) {
        return HealthSupport.NOT_ADVERTISED;
      }
      return unimplemented.contains(Instance.of(newest))
          ? HealthSupport.UNIMPLEMENTED
          : HealthSupport.STREAMING;
    }
  }

  /**
   * Brings the driver's stream in line with the store. With {@code kick}, a stream waiting for its
   * retry is re-opened at once (its endpoint just became reachable).
   */
  void reconcile(String driver, boolean kick) {
    synchronized (lock) {
      if (!open) {
        return;
      }
      reconcileLocked(driver, kick);
      changed.deviceHealthChanged(driver);
    }
  }

  /** Caller holds the lock. */
  private void reconcileLocked(String driver, boolean kick) {
    List<PluginInstance> instances =
        store.driver(driver).map(DriverView::instances).orElse(List.of());
    unimplemented.removeIf(
        i ->
            i.driver().equals(driver) && instances.stream().map(Instance::of).noneMatch(i::equals));
    Watch current = watches.get(driver);
    if (instances.isEmpty()) {
      if (current != null) {
        current.close("driver " + driver + " has no instance left");
        watches.remove(driver);
      }
      table.drop(driver);
      return;
    }
    PluginInstance newest = instances.get(instances.size() - 1);
    Instance wanted = Instance.of(newest);
    @Nullable String service =
        unimplemented.contains(wanted) ? null : supported(newest.healthService());
    if (current != null && service != null && current.instance.equals(wanted)) {
      if (kick) {
        current.retryNow();
      }
      return;
    }
    if (current != null) {
      current.close("instance " + current.instance.endpoint() + " no longer streams health");
      watches.remove(driver);
    }
    if (service != null) {
      Watch watch = new Watch(wanted, service);
      watches.put(driver, watch);
      log.info("Watching device health of {} on {} ({})", driver, wanted.endpoint(), service);
      watch.start();
    }
  }

  private static @Nullable String supported(@Nullable String service) {
    return service != null && HealthStream.supported(service) ? service : null;
  }

  /** The stream of one instance, and its retries. All fields guarded by the outer lock. */
  private final class Watch implements HealthStream.Listener {
    final Instance instance;
    final String service;
    @Nullable HealthStream stream;
    AgentScheduler.@Nullable Cancellable retry;
    boolean closed;
    int failures;
    boolean warnedDropped;

    Watch(Instance instance, String service) {
      this.instance = instance;
      this.service = service;
    }

    private boolean current() {
      return open && !closed && watches.get(instance.driver()) == this;
    }

    void start() {
      Optional<ManagedChannel> channel =
          connections.channel(instance.driver(), instance.endpoint());
      if (channel.isEmpty()) {
        scheduleRetry(); // the connection is not open (yet): try again later
        return;
      }
      try {
        stream = HealthStream.open(channel.get(), service, clock, this);
      } catch (RuntimeException e) {
        log.debug("Opening the health stream of {} failed", instance.driver(), e);
        scheduleRetry();
      }
    }

    void retryNow() {
      AgentScheduler.Cancellable pending = retry;
      if (pending != null) {
        pending.cancel();
        retry = null;
        start();
      }
    }

    private void scheduleRetry() {
      retry = scheduler.scheduleAfter(this::retry, retryInterval);
    }

    private void retry() {
      synchronized (lock) {
        if (current()) {
          retry = null;
          start();
        }
      }
    }

    void close(String why) {
      closed = true;
      if (retry != null) {
        retry.cancel();
        retry = null;
      }
      if (stream != null) {
        stream.cancel(why);
        stream = null;
      }
    }

    @Override
    public void devices(DeviceReports.Batch batch) {
      synchronized (lock) {
        if (!current()) {
          return;
        }
        table.replace(instance.driver(), batch.reports());
        changed.deviceHealthChanged(instance.driver());
        if (failures > 0) {
          log.info("Health stream of {} is back after {} failure(s)", instance.driver(), failures);
          failures = 0;
        }
        if (batch.dropped() > 0 && !warnedDropped) {
          warnedDropped = true;
          log.warn(
              "Driver {} sent {} device health entries that were refused (no or too long name,"
                  + " or more than {} devices)",
              instance.driver(),
              batch.dropped(),
              DeviceReports.MAX_DEVICES);
        }
      }
    }

    @Override
    public void closed(Status status) {
      synchronized (lock) {
        if (!current()) {
          return; // cancelled by us, or superseded
        }
        stream = null;
        if (status.getCode() == Status.Code.UNIMPLEMENTED) {
          unimplemented.add(instance);
          changed.deviceHealthChanged(instance.driver());
          watches.remove(instance.driver());
          closed = true;
          log.info(
              "Driver {} does not implement {} on {}: no device health from this instance",
              instance.driver(),
              service,
              instance.endpoint());
          return;
        }
        failures++;
        if (failures == 1) {
          log.info(
              "Health stream of {} ended ({}), retrying every {}",
              instance.driver(),
              status,
              retryInterval);
        } else {
          log.debug("Health stream of {} ended again: {}", instance.driver(), status);
        }
        scheduleRetry();
      }
    }
  }
}
