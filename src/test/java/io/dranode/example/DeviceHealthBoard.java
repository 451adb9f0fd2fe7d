package io.dranode.example;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * The devices' health and the streams that watch it. Every message is the complete list, as the
 * protocol requires; all sends happen under this object's lock so that no stream ever sees an older
 * list after a newer one, and a new stream cannot miss a change made while it subscribes.
 */
final class DeviceHealthBoard {

  /** The kubelet's own default: a device not reported for 30 s becomes UNKNOWN. */
  static final long HEALTH_CHECK_TIMEOUT_SECONDS = 30;

  static final int MAX_MESSAGE_CHARS = 1024;

  private final String poolName;
  private final Clock clock;
  private final Map<String, DeviceHealthState> devices = new LinkedHashMap<>();
  private final Set<HealthStream<?>> streams = new CopyOnWriteArraySet<>();
  private boolean closed;

  DeviceHealthBoard(String poolName, List<String> deviceNames, Clock clock) {
    this.poolName = poolName;
    this.clock = clock;
    long now = nowSeconds();
    for (String name : deviceNames) {
      devices.put(name, new DeviceHealthState(name, true, "", now));
    }
  }

  String poolName() {
    return poolName;
  }

  synchronized List<DeviceHealthState> snapshot() {
    return List.copyOf(devices.values());
  }

  /** Switches one device and pushes the new list to every open stream. */
  synchronized void set(String device, boolean healthy, String message) {
    if (!devices.containsKey(device)) {
      throw new IllegalArgumentException(
          "unknown device '" + device + "', this driver has " + devices.keySet());
    }
    String bounded =
        message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) : message;
    devices.put(device, new DeviceHealthState(device, healthy, bounded, nowSeconds()));
    broadcast();
  }

  /** A periodic check found every device as it was: fresh timestamps, sent to every stream. */
  synchronized void recheckAll() {
    long now = nowSeconds();
    for (Map.Entry<String, DeviceHealthState> entry : devices.entrySet()) {
      DeviceHealthState old = entry.getValue();
      entry.setValue(new DeviceHealthState(old.device(), old.healthy(), old.message(), now));
    }
    broadcast();
  }

  /** Sends the current list at once, then every change; a closed board completes the stream. */
  synchronized void subscribe(HealthStream<?> stream) {
    if (closed) {
      stream.complete();
      return;
    }
    streams.add(stream);
    if (!stream.send(snapshot())) {
      streams.remove(stream);
    }
  }

  /** Called from the cancel handler, on a transport thread: does not take the lock. */
  void unsubscribe(HealthStream<?> stream) {
    streams.remove(stream);
  }

  int openStreams() {
    return streams.size();
  }

  /** Ends every stream normally and refuses new ones. */
  synchronized void completeAll() {
    closed = true;
    for (HealthStream<?> stream : streams) {
      stream.complete();
    }
    streams.clear();
  }

  /** Forgets the streams without a word to them: a crashed process says nothing. */
  synchronized void abandonAll() {
    closed = true;
    streams.clear();
  }

  private void broadcast() {
    List<DeviceHealthState> list = snapshot();
    List<HealthStream<?>> gone = new ArrayList<>();
    for (HealthStream<?> stream : streams) {
      if (!stream.send(list)) {
        gone.add(stream);
      }
    }
    streams.removeAll(gone);
  }

  private long nowSeconds() {
    return clock.instant().getEpochSecond();
  }
}
