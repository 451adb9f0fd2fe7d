package io.dranode.agent.condition;

import static io.dranode.agent.condition.Conditions.ALL_DEVICES_HEALTHY;
import static io.dranode.agent.condition.Conditions.ALL_DRIVERS_READY;
import static io.dranode.agent.condition.Conditions.CONNECTED;
import static io.dranode.agent.condition.Conditions.CONNECTING;
import static io.dranode.agent.condition.Conditions.DEVICES_HEALTHY;
import static io.dranode.agent.condition.Conditions.DEVICES_UNHEALTHY;
import static io.dranode.agent.condition.Conditions.DISCONNECTED;
import static io.dranode.agent.condition.Conditions.DRIVERS_NOT_READY;
import static io.dranode.agent.condition.Conditions.DRIVERS_READY;
import static io.dranode.agent.condition.Conditions.HEALTH_NOT_SUPPORTED;
import static io.dranode.agent.condition.Conditions.HEALTH_UNKNOWN;
import static io.dranode.agent.condition.Conditions.INSTANCE_CONNECTED;
import static io.dranode.agent.condition.Conditions.INSTANCE_REGISTERED;
import static io.dranode.agent.condition.Conditions.MESSAGE_MAX_BYTES;
import static io.dranode.agent.condition.Conditions.NO_INSTANCE;
import static io.dranode.agent.condition.Conditions.NO_RESOURCE_SLICES;
import static io.dranode.agent.condition.Conditions.REGISTERED;
import static io.dranode.agent.condition.Conditions.REJECTED;
import static io.dranode.agent.condition.Conditions.RESOURCE_SLICES_PUBLISHED;
import static io.dranode.agent.condition.Conditions.SLICES_NOT_SYNCED;
import static io.dranode.agent.condition.Conditions.SLICES_PUBLISHED;

import io.dranode.agent.devicehealth.DeviceHealthEntry;
import io.dranode.agent.devicehealth.DriverHealth;
import io.dranode.agent.devicehealth.Health;
import io.dranode.agent.input.Untrusted;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.Rejection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The rules that turn a driver's {@link DriverFacts} into its four conditions. Pure: the same facts
 * at the same instant give the same verdicts, which is what the table tests rely on.
 */
final class ConditionRules {

  /** Devices named in a message before "and N more". */
  static final int DEVICES_NAMED = 5;

  private ConditionRules() {}

  /** A condition without its transition time, which only the history of verdicts can give. */
  record Verdict(String type, ConditionStatus status, String reason, String message) {
    Verdict {
      message = Untrusted.bounded(message, MESSAGE_MAX_BYTES);
    }
  }

  /**
   * The verdicts, in {@link Conditions#TYPES} order, and when time alone could change one (the
   * slices' grace period ends, a device report times out); null when nothing but a change will.
   */
  record Evaluation(List<Verdict> verdicts, @Nullable Instant recheckAt) {}

  static Evaluation evaluate(DriverFacts facts, Instant now, Duration slicesGrace) {
    List<Instant> rechecks = new ArrayList<>(2);
    List<Verdict> verdicts =
        List.of(
            registered(facts),
            connected(facts),
            slicesPublished(facts, now, slicesGrace, rechecks),
            devicesHealthy(facts.health(), rechecks));
    Instant recheck = rechecks.stream().min(Instant::compareTo).orElse(null);
    return new Evaluation(verdicts, recheck);
  }

  static Verdict registered(DriverFacts f) {
    int instances = f.connections().size();
    if (instances > 0) {
      return new Verdict(
          REGISTERED,
          ConditionStatus.TRUE,
          INSTANCE_REGISTERED,
          count(instances, "instance") + " registered");
    }
    Rejection refusal = f.refusal();
    if (refusal != null) {
      return new Verdict(REGISTERED, ConditionStatus.FALSE, REJECTED, refusal.reason());
    }
    String gone = f.goneBecause();
    return new Verdict(
        REGISTERED,
        ConditionStatus.FALSE,
        NO_INSTANCE,
        gone == null
            ? "no instance registered on this node"
            : "no instance registered; the last one left: " + gone);
  }

  static Verdict connected(DriverFacts f) {
    int instances = f.connections().size();
    long connected = f.connections().stream().filter(c -> c == ConnectionState.CONNECTED).count();
    if (connected > 0) {
      return new Verdict(
          CONNECTED,
          ConditionStatus.TRUE,
          INSTANCE_CONNECTED,
          connected + " of " + count(instances, "instance") + " connected");
    }
    if (instances == 0) {
      return new Verdict(CONNECTED, ConditionStatus.FALSE, DISCONNECTED, "no instance registered");
    }
    int connecting = f.connections().indexOf(ConnectionState.CONNECTING);
    if (connecting >= 0) {
      return new Verdict(
          CONNECTED,
          ConditionStatus.UNKNOWN,
          CONNECTING,
          "connecting to DRA endpoint " + f.endpoints().get(connecting));
    }
    return new Verdict(
        CONNECTED,
        ConditionStatus.FALSE,
        DISCONNECTED,
        "no instance reachable (DRA endpoint " + f.endpoints().get(instances - 1) + ")");
  }

  static Verdict slicesPublished(
      DriverFacts f, Instant now, Duration grace, List<Instant> rechecks) {
    if (!f.slicesSynced()) {
      return new Verdict(
          SLICES_PUBLISHED,
          ConditionStatus.UNKNOWN,
          SLICES_NOT_SYNCED,
          "this node's ResourceSlices are not listed yet (is the API server reachable?)");
    }
    if (f.slices() > 0) {
      return new Verdict(
          SLICES_PUBLISHED,
          ConditionStatus.TRUE,
          RESOURCE_SLICES_PUBLISHED,
          count(f.slices(), "ResourceSlice") + " on this node");
    }
    Instant usableSince = f.usableSince();
    if (usableSince == null) {
      return new Verdict(
          SLICES_PUBLISHED,
          ConditionStatus.UNKNOWN,
          SLICES_NOT_SYNCED,
          "no ResourceSlice on this node, and the driver is not usable");
    }
    Duration usable = Duration.between(usableSince, now);
    if (usable.compareTo(grace) >= 0) {
      return new Verdict(
          SLICES_PUBLISHED,
          ConditionStatus.FALSE,
          NO_RESOURCE_SLICES,
          "usable for more than "
              + human(grace)
              + " but no ResourceSlice on this node: pods that need its devices cannot be"
              + " scheduled here");
    }
    rechecks.add(usableSince.plus(grace));
    return new Verdict(
        SLICES_PUBLISHED,
        ConditionStatus.UNKNOWN,
        SLICES_NOT_SYNCED,
        "no ResourceSlice on this node yet (usable for less than " + human(grace) + ")");
  }

  static Verdict devicesHealthy(DriverHealth health, List<Instant> rechecks) {
    switch (health.support()) {
      case NO_INSTANCE -> {
        return new Verdict(
            DEVICES_HEALTHY, ConditionStatus.UNKNOWN, HEALTH_UNKNOWN, "no instance registered");
      }
      case NOT_ADVERTISED -> {
        return new Verdict(
            DEVICES_HEALTHY,
            ConditionStatus.UNKNOWN,
            HEALTH_NOT_SUPPORTED,
            "the driver advertises no device health service");
      }
      case UNIMPLEMENTED -> {
        return new Verdict(
            DEVICES_HEALTHY,
            ConditionStatus.UNKNOWN,
            HEALTH_NOT_SUPPORTED,
            "the driver's device health service answers UNIMPLEMENTED");
      }
      case STREAMING -> {}
    }
    if (!health.reported()) {
      return new Verdict(
          DEVICES_HEALTHY, ConditionStatus.UNKNOWN, HEALTH_UNKNOWN, "no device health report yet");
    }
    Instant expiry = health.nextExpiry();
    if (expiry != null) {
      rechecks.add(expiry);
    }
    List<DeviceHealthEntry> devices = health.devices();
    List<DeviceHealthEntry> unhealthy = with(devices, Health.UNHEALTHY);
    if (!unhealthy.isEmpty()) {
      return new Verdict(
          DEVICES_HEALTHY,
          ConditionStatus.FALSE,
          DEVICES_UNHEALTHY,
          unhealthy.size()
              + " of "
              + count(devices.size(), "device")
              + " unhealthy: "
              + named(unhealthy));
    }
    List<DeviceHealthEntry> unknown = with(devices, Health.UNKNOWN);
    if (!unknown.isEmpty()) {
      return new Verdict(
          DEVICES_HEALTHY,
          ConditionStatus.UNKNOWN,
          HEALTH_UNKNOWN,
          unknown.size()
              + " of "
              + count(devices.size(), "device")
              + " without a current report (timed out or unknown): "
              + named(unknown));
    }
    return new Verdict(
        DEVICES_HEALTHY,
        ConditionStatus.TRUE,
        ALL_DEVICES_HEALTHY,
        count(devices.size(), "device") + " healthy");
  }

  /**
   * The node's {@code DriversReady}: every driver {@code Connected} and {@code SlicesPublished};
   * False names the ones that are not.
   */
  static Verdict driversReady(Map<String, List<Condition>> drivers) {
    List<String> notReady = new ArrayList<>();
    drivers.forEach(
        (driver, conditions) -> {
          boolean ready =
              conditions.stream()
                  .filter(c -> c.type().equals(CONNECTED) || c.type().equals(SLICES_PUBLISHED))
                  .allMatch(c -> c.status() == ConditionStatus.TRUE);
          if (!ready) {
            notReady.add(driver);
          }
        });
    if (notReady.isEmpty()) {
      return new Verdict(
          DRIVERS_READY,
          ConditionStatus.TRUE,
          ALL_DRIVERS_READY,
          drivers.isEmpty()
              ? "no DRA driver on this node"
              : "every driver is connected and publishes ResourceSlices");
    }
    return new Verdict(
        DRIVERS_READY,
        ConditionStatus.FALSE,
        DRIVERS_NOT_READY,
        "not connected or without ResourceSlices: " + String.join(", ", notReady));
  }

  private static List<DeviceHealthEntry> with(List<DeviceHealthEntry> devices, Health health) {
    return devices.stream().filter(d -> d.health() == health).toList();
  }

  private static String named(List<DeviceHealthEntry> devices) {
    StringBuilder names = new StringBuilder();
    for (int i = 0; i < devices.size() && i < DEVICES_NAMED; i++) {
      DeviceHealthEntry d = devices.get(i);
      names.append(i == 0 ? "" : ", ").append(Untrusted.clean(d.pool() + "/" + d.device()));
    }
    if (devices.size() > DEVICES_NAMED) {
      names.append(" and ").append(devices.size() - DEVICES_NAMED).append(" more");
    }
    return names.toString();
  }

  private static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  /** A duration as people write it: {@code 45s}, {@code 2m}, {@code 1h5m}. */
  static String human(Duration d) {
    long seconds = Math.max(0, d.toSeconds());
    long h = seconds / 3600;
    long m = seconds % 3600 / 60;
    long s = seconds % 60;
    StringBuilder out = new StringBuilder();
    if (h > 0) {
      out.append(h).append('h');
    }
    if (m > 0) {
      out.append(m).append('m');
    }
    if (s > 0 || out.length() == 0) {
      out.append(s).append('s');
    }
    return out.toString();
  }
}
