package io.dranode.agent.actuate;

import io.dranode.agent.cleanup.PendingWipe;
import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.cleanup.WipeListener;
import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.condition.Condition;
import io.dranode.agent.condition.ConditionListener;
import io.dranode.agent.condition.ConditionStatus;
import io.dranode.agent.condition.Conditions;
import io.dranode.agent.condition.DriverConditions;
import io.dranode.agent.config.Phases;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.devicehealth.Health;
import io.dranode.agent.event.EventStreams;
import io.dranode.agent.event.Subscription;
import io.dranode.agent.input.KubernetesNames;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.plugin.StoreListener;
import io.dranode.agent.registration.RegistrationStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The agent's Prometheus metrics ({@code dra_agent_*}); the common tag {@code node} comes from
 * {@code management.metrics.tags.node}. Per-driver series exist while the driver is registered: the
 * store tells this when a driver's last instance leaves, and its series are removed. Likewise the
 * series of refused sockets exist while such a socket is present, and those of a pending wipe while
 * it is pending.
 */
@Component
class AgentMetrics
    implements MeterBinder, StoreListener, ConditionListener, WipeListener, SmartLifecycle {

  /** The {@code driver} of a refused socket whose plugin gave no valid driver name. */
  static final String NO_DRIVER = "";

  private final PluginStore store;
  private final PendingWipes pending;
  private final WipeHistory wipes;
  private final RegistrationStatistics registrations;
  private final DeviceHealthMonitor devices;
  private final EventStreams streams;
  private final DriverConditions conditions;
  private final LongAdder deregistrations = new LongAdder();
  private final Map<String, List<Meter>> driverMeters = new ConcurrentHashMap<>();
  private final Map<String, List<Meter>> conditionMeters = new ConcurrentHashMap<>();
  // Refused sockets present now, each with the driver it named; failed attempts of each pending
  // wipe. Written by the store's and the wipes' callbacks, read by scrapes.
  private final Map<Path, String> rejectedSockets = new ConcurrentHashMap<>();
  private final Map<String, Integer> wipeFailures = new ConcurrentHashMap<>();
  private final KeyedGauge rejectedGauge =
      new KeyedGauge(
          "dra.agent.rejected.sockets",
          "Registration sockets present whose plugin is refused or unreachable, by the driver it"
              + " named (empty: no valid name)",
          driver -> rejectedSockets.values().stream().filter(driver::equals).count());
  private final KeyedGauge wipeFailuresGauge =
      new KeyedGauge(
          "dra.agent.resourceslice.wipe.failed.attempts",
          "Failed attempts of each pending ResourceSlice wipe, by driver",
          driver -> wipeFailures.getOrDefault(driver, 0));
  private final Object lifecycle = new Object();
  private @Nullable Subscription subscription; // guarded by lifecycle
  private @Nullable Subscription conditionSubscription; // guarded by lifecycle
  private @Nullable Subscription wipeSubscription; // guarded by lifecycle
  private volatile @Nullable MeterRegistry registry;

  AgentMetrics(
      PluginStore store,
      PendingWipes pending,
      WipeHistory wipes,
      RegistrationStatistics registrations,
      DeviceHealthMonitor devices,
      EventStreams streams,
      DriverConditions conditions) {
    this.store = store;
    this.pending = pending;
    this.wipes = wipes;
    this.registrations = registrations;
    this.devices = devices;
    this.streams = streams;
    this.conditions = conditions;
  }

  @Override
  public void registered(PluginInstance instance) {
    deviceGauges(instance.driver());
  }

  @Override
  public void deregistered(PluginInstance instance, String why, boolean lastOfDriver) {
    deregistrations.increment();
    if (lastOfDriver) {
      removeDriver(instance.driver());
    }
  }

  @Override
  public void rejected(Rejection rejection) {
    String driver = rejection.driver();
    String named = driver != null && KubernetesNames.isDriverName(driver) ? driver : NO_DRIVER;
    String before = rejectedSockets.put(rejection.socket(), named);
    if (before != null && !before.equals(named)) {
      hideIfNoSocket(before);
    }
    rejectedGauge.show(named);
  }

  @Override
  public void rejectionCleared(Path socket) {
    String named = rejectedSockets.remove(socket);
    if (named != null) {
      hideIfNoSocket(named);
    }
  }

  private void hideIfNoSocket(String driver) {
    if (!rejectedSockets.containsValue(driver)) {
      rejectedGauge.hide(driver);
    }
  }

  @Override
  public void wipeScheduled(PendingWipe wipe) {
    wipeFailures.put(wipe.driver(), 0);
    wipeFailuresGauge.show(wipe.driver());
  }

  @Override
  public void wipeAttemptFailed(PendingWipe wipe, Instant nextAttempt) {
    wipeFailures.merge(wipe.driver(), 1, Integer::sum);
    wipeFailuresGauge.show(wipe.driver());
  }

  @Override
  public void wipeCancelled(PendingWipe wipe, String why) {
    wipeEnded(wipe.driver());
  }

  @Override
  public void wipeFinished(WipeRecord record) {
    // A cancelled wipe ended at its cancellation; a later record of it (an attempt that was in
    // flight) may come after a new wipe of the driver was scheduled.
    if (record.result() != WipeRecord.Result.CANCELLED) {
      wipeEnded(record.driver());
    }
  }

  private void wipeEnded(String driver) {
    wipeFailures.remove(driver);
    wipeFailuresGauge.hide(driver);
  }

  /** Device counts by health for a driver, while it is registered. */
  private void deviceGauges(String driver) {
    MeterRegistry current = registry;
    if (current == null) {
      return;
    }
    driverMeters.computeIfAbsent(
        driver,
        d -> {
          List<Meter> meters = new ArrayList<>();
          for (Health health : Health.values()) {
            meters.add(
                Gauge.builder(
                        "dra.agent.devices", devices, m -> m.summary(d).getOrDefault(health, 0))
                    .tag("driver", d)
                    .tag("health", health.name())
                    .description("Devices by driver and health, as the driver reports them")
                    .register(current));
          }
          return meters;
        });
  }

  private void removeDriver(String driver) {
    remove(driverMeters.remove(driver));
  }

  private void remove(@Nullable List<Meter> meters) {
    MeterRegistry current = registry;
    if (current != null && meters != null) {
      meters.forEach(current::remove);
    }
  }

  @Override
  public void conditionChanged(String driver, @Nullable Condition before, Condition after) {
    conditionGauges(driver);
  }

  private void conditionGauges(String driver) {
    MeterRegistry current = registry;
    if (current != null) {
      conditionMeters.computeIfAbsent(driver, d -> conditionGauges(current, d));
    }
  }

  @Override
  public void driverForgotten(String driver) {
    remove(conditionMeters.remove(driver));
  }

  /**
   * One series per driver, condition and status: 1 for the current status, 0 for the others, as
   * kube-state-metrics shows Node conditions.
   */
  private List<Meter> conditionGauges(MeterRegistry registry, String driver) {
    List<Meter> meters = new ArrayList<>();
    for (String type : Conditions.TYPES) {
      for (ConditionStatus status : ConditionStatus.values()) {
        meters.add(
            Gauge.builder(
                    "dra.agent.driver.condition",
                    conditions,
                    c ->
                        c.of(driver).stream()
                                .anyMatch(x -> x.type().equals(type) && x.status() == status)
                            ? 1
                            : 0)
                .tag("driver", driver)
                .tag("condition", type)
                .tag("status", status.wireName())
                .description(
                    "Conditions of each driver: 1 for the current status, 0 for the others")
                .register(registry));
      }
    }
    return meters;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    this.registry = registry;
    store.drivers().forEach(d -> deviceGauges(d.driver()));
    registrationCounter(registry, "accepted", RegistrationStatistics::accepted);
    registrationCounter(registry, "rejected", RegistrationStatistics::rejected);
    registrationCounter(registry, "failed", RegistrationStatistics::failed);
    FunctionCounter.builder("dra.agent.deregistrations", deregistrations, LongAdder::sum)
        .description("Driver instances deregistered")
        .register(registry);
    FunctionTimer.builder(
            "dra.agent.registration.duration",
            registrations,
            RegistrationStatistics::accepted,
            RegistrationStatistics::registrationSecondsTotal,
            TimeUnit.SECONDS)
        .description("Time from a registration socket seen to its plugin registered")
        .register(registry);
    Gauge.builder("dra.agent.plugin.instances", store, AgentMetrics::instances)
        .description("Registered driver instances")
        .register(registry);
    Gauge.builder(
            "dra.agent.drivers.usable",
            store,
            s -> s.drivers().stream().filter(DriverView::usable).count())
        .description("Drivers with at least one connected instance")
        .register(registry);
    for (WipeRecord.Result result : WipeRecord.Result.values()) {
      FunctionCounter.builder("dra.agent.resourceslice.wipes", wipes, w -> w.finished(result))
          .tag("result", result.wireName())
          .description("Finished ResourceSlice wipes")
          .register(registry);
    }
    FunctionCounter.builder("dra.agent.resourceslices.deleted", wipes, WipeHistory::deletedTotal)
        .description("ResourceSlices deleted by wipes")
        .register(registry);
    FunctionTimer.builder(
            "dra.agent.wipe.duration",
            wipes,
            WipeHistory::completedWipes,
            WipeHistory::wipeSecondsTotal,
            TimeUnit.SECONDS)
        .description("Time from a wipe's first attempt to its completion")
        .register(registry);
    Gauge.builder("dra.agent.event.streams", streams, EventStreams::count)
        .description("Open event streams (SSE and gRPC watch)")
        .register(registry);
    Gauge.builder("dra.agent.resourceslice.wipes.pending", pending, p -> p.pending().size())
        .description("ResourceSlice wipes due or being retried")
        .register(registry);
    rejectedGauge.bindTo(registry, rejectedSockets.values());
    wipeFailuresGauge.bindTo(registry, wipeFailures.keySet());
  }

  private void registrationCounter(
      MeterRegistry registry, String result, ToDoubleFunction<RegistrationStatistics> count) {
    // One metric with a result tag, not one metric per outcome.
    FunctionCounter.builder("dra.agent.registrations", registrations, count)
        .tag("result", result)
        .description(
            "Registration attempts by outcome: accepted, rejected (invalid), failed (retried)")
        .register(registry);
  }

  private static double instances(PluginStore store) {
    return store.drivers().stream().mapToInt(d -> d.instances().size()).sum();
  }

  /** Subscribes, then adds the series of drivers registered (sockets refused, wipes due) before. */
  @Override
  public void start() {
    synchronized (lifecycle) {
      if (subscription == null) {
        subscription = store.subscribe(this);
        conditionSubscription = conditions.subscribe(this);
        wipeSubscription = pending.subscribe(this);
      }
    }
    store.drivers().forEach(d -> deviceGauges(d.driver()));
    conditions.byDriver().keySet().forEach(this::conditionGauges);
    store.rejections().forEach(this::rejected);
    for (PendingWipe wipe : pending.pending()) {
      wipeFailures.putIfAbsent(wipe.driver(), 0);
      wipeFailuresGauge.show(wipe.driver());
    }
  }

  @Override
  public void stop() {
    synchronized (lifecycle) {
      Subscription current = subscription;
      subscription = null;
      if (current != null) {
        current.close();
      }
      Subscription onConditions = conditionSubscription;
      conditionSubscription = null;
      if (onConditions != null) {
        onConditions.close();
      }
      Subscription onWipes = wipeSubscription;
      wipeSubscription = null;
      if (onWipes != null) {
        onWipes.close();
      }
    }
  }

  @Override
  public boolean isRunning() {
    synchronized (lifecycle) {
      return subscription != null;
    }
  }

  /** With the report beans: subscribed before the first registration. */
  @Override
  public int getPhase() {
    return Phases.REPORT;
  }
}
