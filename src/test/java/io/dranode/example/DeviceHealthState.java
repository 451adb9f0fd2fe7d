package io.dranode.example;

/**
 * One device's health as the driver last determined it.
 *
 * @param device the device name in this node's pool
 * @param healthy HEALTHY when true, UNHEALTHY when false
 * @param message why, empty when healthy; at most 1024 characters as the protocol allows
 * @param lastUpdatedSeconds when the driver last checked it, Unix seconds
 */
public record DeviceHealthState(
    String device, boolean healthy, String message, long lastUpdatedSeconds) {}
