package io.dranode.example;

import io.dranode.agent.proto.drahealth.v1.HealthStatus;
import io.dranode.agent.testing.PluginHealth;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The devices' health, served to its watchers by a {@link PluginHealth}. Every message is the
 * complete list, as the protocol requires; each change is handed over under this object's lock, so
 * the streams get the lists in the order they were made.
 */
final class DeviceHealthBoard {

  /** The kubelet's own default: a device not reported for 30 s becomes UNKNOWN. */
  static final long HEALTH_CHECK_TIMEOUT_SECONDS = 30;

  static final int MAX_MESSAGE_CHARS = 1024;

  private final String poolName;
  private final Clock clock;
  private final Map<String, DeviceHealthState> devices = new LinkedHashMap<>();
  private final PluginHealth streams = new PluginHealth();

  DeviceHealthBoard(String poolName, List<String> deviceNames, Clock clock) {
    this.poolName = poolName;
    this.clock = clock;
    long now = nowSeconds();
    for (String name : deviceNames) {
      devices.put(name, new DeviceHealthState(name, true, "", now));
    }
    broadcast();
  }

  /** The streams of the health service, both versions. */
  PluginHealth streams() {
    return streams;
  }

  synchronized List<DeviceHealthState> snapshot() {
    return List.copyOf(devices.values());
  }

  /** Switches one device and pushes the new list to every open stream. */
  synchronized void set(String device, boolean healthy, String message) {
    if (!devices.containsKey(device)) {
      throw new IllegalArgumentException(
          "unknown device '" + device + "', this driver has " + devices.keySet());
    }
    String bounded =
        message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) : message;
    devices.put(device, new DeviceHealthState(device, healthy, bounded, nowSeconds()));
    broadcast();
  }

  /** A periodic check found every device as it was: fresh timestamps, sent to every stream. */
  synchronized void recheckAll() {
    long now = nowSeconds();
    for (Map.Entry<String, DeviceHealthState> entry : devices.entrySet()) {
      DeviceHealthState old = entry.getValue();
      entry.setValue(new DeviceHealthState(old.device(), old.healthy(), old.message(), now));
    }
    broadcast();
  }

  private void broadcast() {
    streams.publish(
        devices.values().stream()
            .map(
                d ->
                    new PluginHealth.Device(
                        poolName,
                        d.device(),
                        d.healthy() ? HealthStatus.HEALTHY_VALUE : HealthStatus.UNHEALTHY_VALUE,
                        d.lastUpdatedSeconds(),
                        HEALTH_CHECK_TIMEOUT_SECONDS,
                        d.message()))
            .toList());
  }

  private long nowSeconds() {
    return clock.instant().getEpochSecond();
  }
}
