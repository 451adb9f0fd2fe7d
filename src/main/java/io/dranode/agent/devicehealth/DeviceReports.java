package io.dranode.agent.devicehealth;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a driver's {@code NodeWatchResourcesResponse} (v1 or v1alpha1: same schema) into bounded
 * {@link DeviceReport}s. The driver is untrusted: the device count, name lengths and messages are
 * capped, a timestamp from the future counts as "now", and nothing a driver sends can throw here.
 */
final class DeviceReports {

  /** Far above any real node (a big GPU node has tens of devices), low enough to bound memory. */
  static final int MAX_DEVICES = 10_000;

  /** The limit KEP-4680 sets for {@code message}; longer ones are cut to 1021 chars + "...". */
  static final int MAX_MESSAGE_CHARS = 1024;

  /** A pool name is at most a DNS subdomain (253); a device name is shorter still. */
  static final int MAX_NAME_CHARS = 253;

  /**
   * What one message carried.
   *
   * @param reports the accepted devices, one per (pool, device), the last one winning
   * @param dropped entries refused: no device name, names too long, or above the device cap
   */
  record Batch(List<DeviceReport> reports, int dropped) {}

  private DeviceReports() {}

  static Batch of(
      io.dranode.agent.proto.drahealth.v1.NodeWatchResourcesResponse response, Instant receivedAt) {
    Collector collector = new Collector(receivedAt);
    for (io.dranode.agent.proto.drahealth.v1.DeviceHealth d : response.getDevicesList()) {
      collector.add(
          d.getDevice().getPoolName(),
          d.getDevice().getDeviceName(),
          d.getHealthValue(),
          d.getLastUpdatedTime(),
          d.getHealthCheckTimeoutSeconds(),
          d.getMessage());
    }
    return collector.batch();
  }

  static Batch of(
      io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesResponse response,
      Instant receivedAt) {
    Collector collector = new Collector(receivedAt);
    for (io.dranode.agent.proto.drahealth.v1alpha1.DeviceHealth d : response.getDevicesList()) {
      collector.add(
          d.getDevice().getPoolName(),
          d.getDevice().getDeviceName(),
          d.getHealthValue(),
          d.getLastUpdatedTime(),
          d.getHealthCheckTimeoutSeconds(),
          d.getMessage());
    }
    return collector.batch();
  }

  /** Wire numbers of {@code HealthStatus}: UNKNOWN = 0, HEALTHY = 1, UNHEALTHY = 2. */
  static Health health(int wireValue) {
    return switch (wireValue) {
      case 1 -> Health.HEALTHY;
      case 2 -> Health.UNHEALTHY;
      default -> Health.UNKNOWN;
    };
  }

  static String truncate(String message) {
    if (message.length() <= MAX_MESSAGE_CHARS) {
      return message;
    }
    int cut = MAX_MESSAGE_CHARS - 3;
    if (Character.isHighSurrogate(message.charAt(cut - 1))) {
      cut--; // never split a surrogate pair
    }
    return message.substring(0, cut) + "...";
  }

  private record Key(String pool, String device) {}

  private static final class Collector {
    private final Instant receivedAt;
    private final Map<Key, DeviceReport> byKey = new LinkedHashMap<>();
    private int dropped;

    Collector(Instant receivedAt) {
      this.receivedAt = receivedAt;
    }

    void add(
        String pool, String device, int health, long updatedSeconds, long timeout, String msg) {
      if (device.isEmpty() || device.length() > MAX_NAME_CHARS || pool.length() > MAX_NAME_CHARS) {
        dropped++;
        return;
      }
      Key key = new Key(pool, device);
      if (byKey.size() >= MAX_DEVICES && !byKey.containsKey(key)) {
        dropped++;
        return;
      }
      Instant refreshed =
          updatedSeconds > 0 && updatedSeconds <= receivedAt.getEpochSecond()
              ? Instant.ofEpochSecond(updatedSeconds)
              : receivedAt;
      byKey.put(
          key,
          new DeviceReport(
              pool, device, health(health), refreshed, Math.max(0, timeout), truncate(msg)));
    }

    Batch batch() {
      return new Batch(List.copyOf(byKey.values()), dropped);
    }
  }
}
