package io.dranode.agent.devicehealth;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What is known of one driver's device health at one moment.
 *
 * @param support whether health can be known at all
 * @param reported whether a device list arrived from the current stream's driver
 * @param devices every device, as of that moment (a timed-out report shows as UNKNOWN)
 * @param nextExpiry when the first report still current will time out; null when none will
 */
public record DriverHealth(
    HealthSupport support,
    boolean reported,
    List<DeviceHealthEntry> devices,
    @Nullable Instant nextExpiry) {}
