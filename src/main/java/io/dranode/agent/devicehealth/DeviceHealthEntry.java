package io.dranode.agent.devicehealth;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One device of one driver, as the views show it.
 *
 * @param driver the DRA driver name
 * @param pool the pool the device belongs to
 * @param device the device name inside the pool
 * @param health its health now: {@link Health#UNKNOWN} once its report has timed out
 * @param lastUpdated when the driver last checked it (never later than when we received it)
 * @param message the driver's explanation, at most 1024 characters
 */
public record DeviceHealthEntry(
    String driver,
    String pool,
    String device,
    Health health,
    @Nullable Instant lastUpdated,
    String message) {}
