package io.dranode.agent.devicehealth;

/** Whether a driver's device health can be known, from its newest instance. */
public enum HealthSupport {
  /** No instance is registered. */
  NO_INSTANCE,
  /** The newest instance advertises no health service the agent speaks. */
  NOT_ADVERTISED,
  /** The newest instance answered the health stream with {@code UNIMPLEMENTED}. */
  UNIMPLEMENTED,
  /** The newest instance streams health (or the stream is being opened or retried). */
  STREAMING
}
