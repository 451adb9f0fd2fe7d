package io.dranode.agent.plugin;

/**
 * Told of every change of a driver's {@link DriverState}, in order, while the store holds its lock:
 * an implementation must be quick and must not call back into the store.
 */
public interface DriverStateListener {

  void driverStateChanged(String driver, DriverState state, String reason);
}
