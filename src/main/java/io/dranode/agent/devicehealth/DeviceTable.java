package io.dranode.agent.devicehealth;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The last device list of every driver. Staleness is computed when read, from the caller's "now":
 * no timer has to fire for a device to turn {@link Health#UNKNOWN}.
 */
final class DeviceTable {

  private static final Comparator<DeviceHealthEntry> ORDER =
      Comparator.comparing(DeviceHealthEntry::driver)
          .thenComparing(DeviceHealthEntry::pool)
          .thenComparing(DeviceHealthEntry::device);

  private final Map<String, List<DeviceReport>> byDriver = new TreeMap<>(); // guarded by this

  /** Replaces a driver's whole list: each message of the stream is complete. */
  synchronized void replace(String driver, List<DeviceReport> reports) {
    byDriver.put(driver, List.copyOf(reports));
  }

  synchronized void drop(String driver) {
    byDriver.remove(driver);
  }

  synchronized Set<String> drivers() {
    return new TreeSet<>(byDriver.keySet());
  }

  synchronized boolean reported(String driver) {
    return byDriver.containsKey(driver);
  }

  /** When the first of the driver's reports still current at {@code now} times out; or null. */
  @Nullable Instant nextExpiry(String driver, Instant now, Duration defaultTimeout) {
    List<DeviceReport> reports;
    synchronized (this) {
      reports = byDriver.getOrDefault(driver, List.of());
    }
    Instant next = null;
    for (DeviceReport report : reports) {
      Instant expiry = report.expiresAt(defaultTimeout);
      if (expiry.isAfter(now)
          && expiry.isBefore(Instant.MAX)
          && (next == null || expiry.isBefore(next))) {
        next = expiry;
      }
    }
    return next;
  }

  /** Every device of one driver, sorted by pool and device. */
  List<DeviceHealthEntry> entries(String driver, Instant now, Duration defaultTimeout) {
    List<DeviceReport> reports;
    synchronized (this) {
      reports = byDriver.getOrDefault(driver, List.of());
    }
    List<DeviceHealthEntry> entries = new ArrayList<>(reports.size());
    for (DeviceReport report : reports) {
      entries.add(entry(driver, report, now, defaultTimeout));
    }
    entries.sort(ORDER);
    return entries;
  }

  /** Every device of every driver, sorted by driver, pool and device. */
  List<DeviceHealthEntry> entries(Instant now, Duration defaultTimeout) {
    Map<String, List<DeviceReport>> snapshot;
    synchronized (this) {
      snapshot = new TreeMap<>(byDriver);
    }
    List<DeviceHealthEntry> entries = new ArrayList<>();
    snapshot.forEach(
        (driver, reports) ->
            reports.forEach(r -> entries.add(entry(driver, r, now, defaultTimeout))));
    entries.sort(ORDER);
    return entries;
  }

  private static DeviceHealthEntry entry(
      String driver, DeviceReport report, Instant now, Duration defaultTimeout) {
    return new DeviceHealthEntry(
        driver,
        report.pool(),
        report.device(),
        report.healthAt(now, defaultTimeout),
        report.refreshedAt(),
        report.message());
  }
}
