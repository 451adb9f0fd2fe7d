package io.dranode.agent.condition;

import org.jspecify.annotations.Nullable;

/**
 * Told of every change of the conditions, in order, on the thread that evaluates them: record or
 * queue, never block and never call back into {@link DriverConditions}.
 */
public interface ConditionListener {

  /**
   * A driver's condition is new ({@code before} null), or its status, reason or message changed.
   */
  default void conditionChanged(String driver, @Nullable Condition before, Condition after) {}

  /** A driver's entry is gone: no instance, pending wipe, refusal or slice of it is left. */
  default void driverForgotten(String driver) {}

  /** The node's {@code DriversReady} changed. */
  default void nodeConditionChanged(@Nullable Condition before, Condition after) {}
}
