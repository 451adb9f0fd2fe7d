package io.dranode.agent.plugin;

import io.dranode.agent.config.Phases;
import io.dranode.agent.config.UnixChannels;
import io.dranode.agent.event.Subscription;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * One long-lived gRPC channel per registered instance to its DRA endpoint, whose state decides
 * whether the instance counts as connected (READY) or not. A dropped connection is asked to
 * reconnect, asynchronously: doing that inline in the state callback deadlocked upstream. Channels
 * are also what device-health streams use. Learns of instances from the store while it runs.
 */
@Component
public class PluginConnections implements SmartLifecycle, StoreListener {

  /** DRA answers carry device lists; 16 MiB is generous and still bounded. */
  static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(PluginConnections.class);

  private final PluginStore store;
  private final UnixChannels channels;
  private final Map<Key, ManagedChannel> open = new ConcurrentHashMap<>();
  private final Object lifecycle = new Object();
  private @Nullable Subscription subscription; // guarded by lifecycle
  private volatile boolean running;

  record Key(String driver, String endpoint) {}

  public PluginConnections(PluginStore store, UnixChannels channels) {
    this.store = store;
    this.channels = channels;
  }

  @Override
  public void registered(PluginInstance instance) {
    connect(new Key(instance.driver(), instance.endpoint()));
  }

  @Override
  public void deregistered(PluginInstance instance, String why, boolean lastOfDriver) {
    ManagedChannel channel = open.remove(new Key(instance.driver(), instance.endpoint()));
    if (channel != null) {
      channel.shutdownNow();
    }
  }

  private void connect(Key key) {
    if (!running) {
      return;
    }
    ManagedChannel channel = channels.open(Path.of(key.endpoint()), MAX_MESSAGE_BYTES);
    ManagedChannel previous = open.put(key, channel);
    if (previous != null) {
      previous.shutdownNow();
    }
    watch(key, channel, channel.getState(true), false);
  }

  private void watch(Key key, ManagedChannel channel, ConnectivityState seen, boolean wasReady) {
    channel.notifyWhenStateChanged(seen, () -> changed(key, channel, wasReady));
  }

  private void changed(Key key, ManagedChannel channel, boolean wasReady) {
    if (!running || open.get(key) != channel) {
      return;
    }
    ConnectivityState state = channel.getState(false);
    boolean ready = wasReady;
    switch (state) {
      case READY -> {
        ready = true;
        store.setConnection(key.driver(), key.endpoint(), ConnectionState.CONNECTED);
      }
      case TRANSIENT_FAILURE -> {
        ready = false;
        store.setConnection(key.driver(), key.endpoint(), ConnectionState.DISCONNECTED);
      }
      case IDLE -> {
        if (wasReady) {
          ready = false;
          store.setConnection(key.driver(), key.endpoint(), ConnectionState.DISCONNECTED);
        }
        // The connection dropped (or idled): ask for a new one, off the callback.
        channels.executor().execute(() -> reconnect(key, channel));
      }
      case CONNECTING -> {}
      case SHUTDOWN -> {
        return;
      }
    }
    log.debug("DRA endpoint {} of {} is {}", key.endpoint(), key.driver(), state);
    watch(key, channel, state, ready);
  }

  private void reconnect(Key key, ManagedChannel channel) {
    if (running && open.get(key) == channel) {
      channel.getState(true);
    }
  }

  /** The channel to an instance's endpoint, while it is registered. */
  public Optional<ManagedChannel> channel(String driver, String endpoint) {
    return Optional.ofNullable(open.get(new Key(driver, endpoint)));
  }

  /**
   * Subscribes to the store, then opens a channel for every instance already recorded (a start
   * after a stop, or instances recorded before this started); one opened twice is replaced.
   */
  @Override
  public void start() {
    synchronized (lifecycle) {
      if (running) {
        return;
      }
      running = true;
      subscription = store.subscribe(this);
    }
    for (DriverView driver : store.drivers()) {
      for (PluginInstance instance : driver.instances()) {
        Key key = new Key(instance.driver(), instance.endpoint());
        if (!open.containsKey(key)) {
          connect(key);
        }
      }
    }
  }

  @Override
  public void stop() {
    synchronized (lifecycle) {
      running = false;
      Subscription current = subscription;
      subscription = null;
      if (current != null) {
        current.close();
      }
    }
    for (ManagedChannel channel : open.values()) {
      channel.shutdownNow();
    }
    open.clear();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return Phases.CONNECTIONS;
  }
}
