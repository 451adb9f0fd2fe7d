package io.dranode.agent.plugin;

/** What the cleanup needs to know of a driver. */
public enum DriverState {
  /** At least one instance is connected: its slices are served. */
  USABLE,
  /** No instance is connected, but one was just registered and is still connecting. */
  CONNECTING,
  /** No instance, or none connected: its slices are stale unless it comes back. */
  UNUSABLE
}
