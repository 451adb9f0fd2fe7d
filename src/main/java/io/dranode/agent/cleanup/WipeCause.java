package io.dranode.agent.cleanup;

/** Why a driver's slices on this node are to be wiped. */
public enum WipeCause {
  /** The driver was registered here and became unusable: its last instance left or disconnected. */
  DRIVER_UNUSABLE,
  /** A sweep found slices of a driver that has no live instance here (none registered since). */
  ORPHANED
}
