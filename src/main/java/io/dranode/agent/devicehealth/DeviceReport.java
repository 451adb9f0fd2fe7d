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
    return now.isAfter(expiresAt(defaultTimeout)) ? Health.UNKNOWN : health;
  }

  /** The last instant at which this report still counts ({@link Instant#MAX} for "never"). */
  Instant expiresAt(Duration defaultTimeout) {
    Duration timeout = timeoutSeconds > 0 ? Duration.ofSeconds(timeoutSeconds) : defaultTimeout;
    // A driver may send any timeout: one past the end of time means it never expires.
    return timeout.compareTo(Duration.between(refreshedAt, Instant.MAX)) >= 0
        ? Instant.MAX
        : refreshedAt.plus(timeout);
  }
}
