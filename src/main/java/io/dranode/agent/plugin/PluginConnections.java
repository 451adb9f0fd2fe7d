package io.dranode.agent.plugin;

import io.dranode.agent.config.UnixChannels;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * One long-lived gRPC channel per registered instance to its DRA endpoint, whose state decides
 * whether the instance counts as connected (READY) or not. A dropped connection is asked to
 * reconnect, asynchronously: doing that inline in the state callback deadlocked upstream. Channels
 * are also what device-health streams and probes use.
 */
@Component
public class PluginConnections implements SmartLifecycle {

  /** Starts first and stops last: channels outlive the watcher and the cleanup. */
  public static final int PHASE = 100;

  /** DRA answers carry device lists; 16 MiB is generous and still bounded. */
  static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(PluginConnections.class);

  private final PluginStore store;
  private final UnixChannels channels;
  private final Map<Key, ManagedChannel> open = new ConcurrentHashMap<>();
  private final AutoCloseable subscription;
  private volatile boolean running;

  record Key(String driver, String endpoint) {}

  public PluginConnections(PluginStore store, UnixChannels channels, EventBus events) {
    this.store = store;
    this.channels = channels;
    this.subscription = events.subscribe(this::onEvent);
  }

  private void onEvent(AgentEvent event) {
    String endpoint = event.endpoint();
    if (endpoint == null) {
      return;
    }
    Key key = new Key(event.driver(), endpoint);
    if (event.type() == AgentEvent.Type.REGISTERED) {
      connect(key);
    } else if (event.type() == AgentEvent.Type.DEREGISTERED) {
      ManagedChannel channel = open.remove(key);
      if (channel != null) {
        channel.shutdownNow();
      }
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

  @Override
  public void start() {
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    try {
      subscription.close();
    } catch (Exception e) {
      log.debug("Unsubscribing failed", e);
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
    return PHASE;
  }
}
