package io.dranode.agent.devicehealth;

/**
 * Told that a driver's device health may have changed (a new list, a stream that ended or cannot be
 * had). Called under the monitor's lock: record or queue, never call back into the monitor.
 */
public interface DeviceHealthListener {

  void deviceHealthChanged(String driver);
}
