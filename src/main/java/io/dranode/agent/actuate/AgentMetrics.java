package io.dranode.agent.actuate;

import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.devicehealth.Health;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.registration.RegistrationStatistics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * The agent's Prometheus metrics ({@code dra_agent_*}); the common tag {@code node} comes from
 * {@code management.metrics.tags.node}.
 */
@Component
class AgentMetrics implements MeterBinder {

  private final PluginStore store;
  private final PendingWipes wipes;
  private final RegistrationStatistics registrations;
  private final DeviceHealthMonitor devices;
  private final LongAdder deregistrations = new LongAdder();
  private final Set<String> driversWithGauges = ConcurrentHashMap.newKeySet();
  private volatile @Nullable MeterRegistry registry;

  AgentMetrics(
      PluginStore store,
      PendingWipes wipes,
      RegistrationStatistics registrations,
      DeviceHealthMonitor devices,
      EventBus events) {
    this.store = store;
    this.wipes = wipes;
    this.registrations = registrations;
    this.devices = devices;
    events.subscribe(
        event -> {
          if (event.type() == AgentEvent.Type.DEREGISTERED) {
            deregistrations.increment();
          } else if (event.type() == AgentEvent.Type.REGISTERED) {
            deviceGauges(event.driver());
          }
        });
  }

  /** Device counts by health for a driver, from its first registration on (0 once it is gone). */
  private void deviceGauges(String driver) {
    MeterRegistry current = registry;
    if (current == null || !driversWithGauges.add(driver)) {
      return;
    }
    for (Health health : Health.values()) {
      Gauge.builder("dra.agent.devices", devices, d -> d.summary(driver).getOrDefault(health, 0))
          .tag("driver", driver)
          .tag("health", health.name())
          .description("Devices by driver and health, as the driver reports them")
          .register(current);
    }
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
    FunctionCounter.builder("dra.agent.resourceslices.deleted", wipes, PendingWipes::deletedTotal)
        .description("ResourceSlices deleted by wipes")
        .register(registry);
    FunctionTimer.builder(
            "dra.agent.wipe.duration",
            wipes,
            PendingWipes::completedWipes,
            PendingWipes::wipeSecondsTotal,
            TimeUnit.SECONDS)
        .description("Time from a wipe's first attempt to its completion")
        .register(registry);
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
}
