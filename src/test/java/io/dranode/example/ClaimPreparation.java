package io.dranode.example;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which device each prepared claim got: one device per claim, handed out round robin. Preparing a
 * claim again returns the device it already has (the kubelet retries, e.g. after its restart);
 * unpreparing forgets it, and unpreparing an unknown claim is fine, as the protocol requires.
 */
final class ClaimPreparation {

  private final String driverName;
  private final List<String> devices;
  private final AtomicInteger next = new AtomicInteger();
  private final Map<String, String> deviceByClaimUid = new ConcurrentHashMap<>();
  private final AtomicInteger prepareCalls = new AtomicInteger();
  private final AtomicInteger unprepareCalls = new AtomicInteger();

  ClaimPreparation(String driverName, List<String> devices) {
    this.driverName = driverName;
    this.devices = List.copyOf(devices);
  }

  /** Counts one NodePrepareResources call, whatever its version. */
  void countPrepareCall() {
    prepareCalls.incrementAndGet();
  }

  /** Counts one NodeUnprepareResources call, whatever its version. */
  void countUnprepareCall() {
    unprepareCalls.incrementAndGet();
  }

  /** The device for this claim: the one it already has, or the next in turn. */
  String prepare(String claimUid) {
    return deviceByClaimUid.computeIfAbsent(
        claimUid, uid -> devices.get(Math.floorMod(next.getAndIncrement(), devices.size())));
  }

  void unprepare(String claimUid) {
    deviceByClaimUid.remove(claimUid);
  }

  /** The CDI device id a container runtime would look up: {@code <driver>/device=<name>}. */
  String cdiDeviceId(String device) {
    return driverName + "/device=" + device;
  }

  Map<String, String> prepared() {
    return Map.copyOf(deviceByClaimUid);
  }

  int prepareCalls() {
    return prepareCalls.get();
  }

  int unprepareCalls() {
    return unprepareCalls.get();
  }
}
