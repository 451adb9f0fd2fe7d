package io.dranode.agent.devicehealth;

/** The health of one device, as its driver last reported it (or {@link #UNKNOWN} once stale). */
public enum Health {
  HEALTHY,
  UNHEALTHY,
  /** Reported unknown, unrecognised, or not refreshed within its timeout. */
  UNKNOWN
}
