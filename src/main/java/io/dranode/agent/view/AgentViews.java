package io.dranode.agent.view;

import io.dranode.agent.cleanup.PendingWipe;
import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.cleanup.SweepExemptions;
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.condition.Condition;
import io.dranode.agent.condition.DriverConditions;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.devicehealth.DeviceHealthEntry;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.IgnoredSocket;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.quarantine.Quarantines;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.springframework.stereotype.Component;

/** Builds the read model from the agent's state, fresh on every call. */
@Component
public class AgentViews {

  private final PluginStore store;
  private final PendingWipes wipes;
  private final WipeHistory history;
  private final SliceInventory inventory;
  private final SweepExemptions exemptions;
  private final DeviceHealthMonitor deviceHealth;
  private final DriverConditions conditions;
  private final Quarantines quarantines;
  private final AgentProperties properties;

  public AgentViews(
      PluginStore store,
      PendingWipes wipes,
      WipeHistory history,
      SliceInventory inventory,
      SweepExemptions exemptions,
      DeviceHealthMonitor deviceHealth,
      DriverConditions conditions,
      Quarantines quarantines,
      AgentProperties properties) {
    this.store = store;
    this.wipes = wipes;
    this.history = history;
    this.inventory = inventory;
    this.exemptions = exemptions;
    this.deviceHealth = deviceHealth;
    this.conditions = conditions;
    this.quarantines = quarantines;
    this.properties = properties;
  }

  public Views.Plugins plugins() {
    Map<String, List<Condition>> entries = conditions.byDriver();
    Map<String, DriverView> registered = new TreeMap<>();
    store.drivers().forEach(d -> registered.put(d.driver(), d));
    Set<String> names = new TreeSet<>(registered.keySet());
    names.addAll(entries.keySet());
    List<Views.Driver> drivers = new ArrayList<>(names.size());
    for (String name : names) {
      DriverView view = registered.get(name);
      drivers.add(view == null ? withoutInstances(name) : driver(view));
    }
    return new Views.Plugins(
        properties.nodeName(),
        properties.mode().name().toLowerCase(Locale.ROOT),
        drivers,
        store.rejections().stream().map(AgentViews::rejected).toList(),
        store.ignoredSockets().stream().map(AgentViews::ignored).toList());
  }

  /** One driver; empty when it is neither registered nor has anything left on this node. */
  public Optional<Views.Driver> driver(String name) {
    Optional<Views.Driver> registered = store.driver(name).map(this::driver);
    if (registered.isPresent() || conditions.of(name).isEmpty()) {
      return registered;
    }
    return Optional.of(withoutInstances(name));
  }

  /** A driver that has no instance, shown for what is left of it (wipe, refusal, slices). */
  private Views.Driver withoutInstances(String name) {
    return new Views.Driver(
        name,
        false,
        null,
        List.of(),
        wipes.pendingFor(name).map(this::pending).orElse(null),
        deviceHealth.summary(name),
        conditions.of(name));
  }

  private Views.Driver driver(DriverView view) {
    Views.PendingWipe pending = wipes.pendingFor(view.driver()).map(this::pending).orElse(null);
    return new Views.Driver(
        view.driver(),
        view.usable(),
        view.activeEndpoint(),
        view.instances().stream().map(AgentViews::instance).toList(),
        pending,
        deviceHealth.summary(view.driver()),
        conditions.of(view.driver()));
  }

  private static Views.Instance instance(PluginInstance instance) {
    return new Views.Instance(
        instance.endpoint(),
        instance.registrationSocket().toString(),
        instance.service(),
        instance.healthService(),
        instance.connected(),
        instance.connection(),
        instance.registeredAt());
  }

  private static Views.RejectedSocket rejected(Rejection rejection) {
    return new Views.RejectedSocket(
        rejection.socket().toString(),
        rejection.driver(),
        rejection.reason(),
        rejection.attempts(),
        rejection.lastAttemptAt(),
        rejection.retrying());
  }

  private static Views.IgnoredSocket ignored(IgnoredSocket ignored) {
    return new Views.IgnoredSocket(ignored.socket().toString(), ignored.type(), ignored.name());
  }

  public Views.Cleanups cleanups() {
    return new Views.Cleanups(
        wipes.pending().stream().map(this::pending).toList(),
        history.recent().stream().map(AgentViews::recent).toList());
  }

  private Views.PendingWipe pending(PendingWipe wipe) {
    List<String> rules = quarantines.rules(wipe.driver());
    return new Views.PendingWipe(
        wipe.driver(),
        wipe.dueAt(),
        wipe.reason(),
        wipe.attempts(),
        wipe.lastError(),
        !rules.isEmpty(),
        rules);
  }

  private static Views.Recent recent(WipeRecord record) {
    return new Views.Recent(
        record.driver(),
        record.startedAt(),
        record.finishedAt(),
        record.deleted(),
        record.result(),
        record.detail());
  }

  public Views.Slices slices() {
    Set<String> usable = new TreeSet<>();
    for (DriverView driver : store.drivers()) {
      if (driver.usable()) {
        usable.add(driver.driver());
      }
    }
    List<Views.DriverSlices> drivers = new ArrayList<>();
    for (Map.Entry<String, List<ResourceSlice>> e : inventory.byDriver().entrySet()) {
      List<Views.Slice> slices = e.getValue().stream().map(AgentViews::slice).toList();
      drivers.add(
          new Views.DriverSlices(
              e.getKey(),
              usable.contains(e.getKey()),
              exemptions.keptBecause(e.getKey(), e.getValue()),
              slices));
    }
    return new Views.Slices(properties.nodeName(), inventory.synced(), drivers);
  }

  private static Views.Slice slice(ResourceSlice slice) {
    var pool = slice.getSpec().getPool();
    var devices = slice.getSpec().getDevices();
    return new Views.Slice(
        slice.getMetadata().getName(),
        pool == null ? null : pool.getName(),
        pool == null ? null : pool.getGeneration(),
        devices == null ? 0 : devices.size(),
        slice.getSpec().getSkipNodeOperations() == null
            ? List.of()
            : List.copyOf(slice.getSpec().getSkipNodeOperations()));
  }

  public Views.Devices devices() {
    return new Views.Devices(deviceHealth.devices().stream().map(AgentViews::device).toList());
  }

  private static Views.Device device(DeviceHealthEntry entry) {
    return new Views.Device(
        entry.driver(),
        entry.pool(),
        entry.device(),
        entry.health(),
        entry.lastUpdated(),
        entry.message());
  }
}
