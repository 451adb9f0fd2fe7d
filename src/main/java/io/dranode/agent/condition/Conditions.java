package io.dranode.agent.condition;

import java.util.List;

/**
 * The condition types and reasons the agent reports. These names are a contract: alerts, the {@code
 * DRANode} objects and other tools rely on them.
 */
public final class Conditions {

  public static final String REGISTERED = "Registered";
  public static final String CONNECTED = "Connected";
  public static final String SLICES_PUBLISHED = "SlicesPublished";
  public static final String DEVICES_HEALTHY = "DevicesHealthy";

  /** Every type, in the order the views show them. */
  public static final List<String> TYPES =
      List.of(REGISTERED, CONNECTED, SLICES_PUBLISHED, DEVICES_HEALTHY);

  /** Node-level: every driver connected and publishing slices. */
  public static final String DRIVERS_READY = "DriversReady";

  // Registered
  public static final String INSTANCE_REGISTERED = "InstanceRegistered";
  public static final String NO_INSTANCE = "NoInstance";
  public static final String REJECTED = "Rejected";

  // Connected
  public static final String INSTANCE_CONNECTED = "InstanceConnected";
  public static final String DISCONNECTED = "Disconnected";
  public static final String CONNECTING = "Connecting";

  // SlicesPublished
  public static final String RESOURCE_SLICES_PUBLISHED = "ResourceSlicesPublished";
  public static final String NO_RESOURCE_SLICES = "NoResourceSlices";
  public static final String SLICES_NOT_SYNCED = "SlicesNotSynced";

  // DevicesHealthy
  public static final String ALL_DEVICES_HEALTHY = "AllDevicesHealthy";
  public static final String DEVICES_UNHEALTHY = "DevicesUnhealthy";
  public static final String HEALTH_NOT_SUPPORTED = "HealthNotSupported";
  public static final String HEALTH_UNKNOWN = "HealthUnknown";

  // DriversReady
  public static final String ALL_DRIVERS_READY = "AllDriversReady";
  public static final String DRIVERS_NOT_READY = "DriversNotReady";

  /** Bound of a condition's message, in bytes of UTF-8. */
  public static final int MESSAGE_MAX_BYTES = 256;

  private Conditions() {}
}
