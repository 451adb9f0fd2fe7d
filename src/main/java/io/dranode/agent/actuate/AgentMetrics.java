package io.dranode.agent.actuate;

import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.WipeRecord;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
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
  private final LongAdder deregistrations = new LongAdder();

  AgentMetrics(
      PluginStore store,
      PendingWipes wipes,
      RegistrationStatistics registrations,
      EventBus events) {
    this.store = store;
    this.wipes = wipes;
    this.registrations = registrations;
    events.subscribe(
        event -> {
          if (event.type() == AgentEvent.Type.DEREGISTERED) {
            deregistrations.increment();
          }
        });
  }

  @Override
  public void bindTo(MeterRegistry registry) {
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
