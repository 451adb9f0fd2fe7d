package io.dranode.agent.devicehealth;

import java.time.Duration;
import java.time.Instant;

/**
 * One device as a driver reported it, already checked and bounded.
 *
 * @param pool the pool name
 * @param device the device name
 * @param health the reported health
 * @param refreshedAt when the driver says it checked the device, never later than its receipt
 * @param timeoutSeconds how long the report stays valid; 0 means the configured default
 * @param message the driver's explanation, at most {@value DeviceReports#MAX_MESSAGE_CHARS} chars
 */
record DeviceReport(
    String pool,
    String device,
    Health health,
    Instant refreshedAt,
    long timeoutSeconds,
    String message) {

  /** The health to show at {@code now}: {@link Health#UNKNOWN} once the report is too old. */
  Health healthAt(Instant now, Duration defaultTimeout) {
    Duration timeout = timeoutSeconds > 0 ? Duration.ofSeconds(timeoutSeconds) : defaultTimeout;
    return Duration.between(refreshedAt, now).compareTo(timeout) > 0 ? Health.UNKNOWN : health;
  }
}
