package io.dranode.agent.plugin;

import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.event.Subscription;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * The thread-safe store of every registered driver instance. Every mutation happens under one lock,
 * and what it causes is told in order under that same lock: to the pending wipes ({@link
 * DriverStateListener}, fixed at construction, so that no state change can ever be missed), to the
 * internal consumers that subscribed ({@link StoreListener}), and to the outward activity stream
 * ({@link EventBus}). So no listener sees a stale order (a "disconnected" after a later
 * "connected").
 */
@Component
public class PluginStore {

  // A ReentrantLock rather than a monitor: see PluginStoreInterleavingTest.
  private final ReentrantLock lock = new ReentrantLock();
  private final EventBus events;
  private final Clock clock;
  private final List<DriverStateListener> stateListeners;
  private final List<StoreListener> listeners = new CopyOnWriteArrayList<>();

  // All guarded by lock.
  private final Map<String, List<PluginInstance>> drivers = new TreeMap<>();
  private final Map<String, DriverState> states = new HashMap<>();
  private final Map<Path, Rejection> rejections = new TreeMap<>();
  private final Map<Path, IgnoredSocket> ignored = new TreeMap<>();
  // Registration sockets seen whose plugin has not answered yet (or only failed transiently): a
  // returning driver may be behind any of them.
  private final Set<Path> unanswered = new TreeSet<>();

  public PluginStore(EventBus events, Clock clock, List<DriverStateListener> stateListeners) {
    this.events = events;
    this.clock = clock;
    this.stateListeners = List.copyOf(stateListeners);
  }

  /** Adds a listener; closing the handle removes it. */
  public Subscription subscribe(StoreListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** The outcome of {@link #register}. */
  public sealed interface Outcome {
    /** Recorded. */
    record Registered(PluginInstance instance) implements Outcome {}

    /** Not recorded, with the reason to tell the plugin. */
    record Refused(String reason) implements Outcome {}
  }

  /**
   * Records a new instance, in state {@link ConnectionState#CONNECTING}. The same endpoint twice
   * for one driver is refused: one instance cannot hijack another's endpoint.
   */
  public Outcome register(
      String driver,
      String endpoint,
      Path registrationSocket,
      String service,
      @Nullable String healthService) {
    lock.lock();
    try {
      List<PluginInstance> instances = drivers.getOrDefault(driver, List.of());
      for (PluginInstance existing : instances) {
        if (existing.endpoint().equals(endpoint)) {
          return new Outcome.Refused(
              "endpoint " + endpoint + " already registered for DRA driver " + driver);
        }
      }
      PluginInstance instance =
          new PluginInstance(
              driver,
              endpoint,
              registrationSocket,
              service,
              healthService,
              clock.instant(),
              ConnectionState.CONNECTING);
      drivers.computeIfAbsent(driver, d -> new ArrayList<>()).add(instance);
      clearRejection(registrationSocket);
      ignored.remove(registrationSocket);
      unanswered.remove(registrationSocket);
      listeners.forEach(l -> l.registered(instance));
      publish(AgentEvent.Type.REGISTERED, driver, endpoint, "service " + service);
      updateState(driver, "instance " + endpoint + " registered");
      return new Outcome.Registered(instance);
    } finally {
      lock.unlock();
    }
  }

  /** Removes an instance; an unknown (driver, endpoint) pair is a no-op. */
  public Optional<PluginInstance> deregister(String driver, String endpoint, String why) {
    lock.lock();
    try {
      List<PluginInstance> instances = drivers.get(driver);
      if (instances == null) {
        return Optional.empty();
      }
      for (int i = 0; i < instances.size(); i++) {
        PluginInstance instance = instances.get(i);
        if (instance.endpoint().equals(endpoint)) {
          instances.remove(i);
          boolean last = instances.isEmpty();
          if (last) {
            drivers.remove(driver);
          }
          listeners.forEach(l -> l.deregistered(instance, why, last));
          publish(AgentEvent.Type.DEREGISTERED, driver, endpoint, why);
          updateState(driver, "instance " + endpoint + " deregistered: " + why);
          return Optional.of(instance);
        }
      }
      return Optional.empty();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Records the connection state of an instance. Returns false when the instance is no longer
   * registered (a late callback of a closed channel), in which case nothing changes.
   */
  public boolean setConnection(String driver, String endpoint, ConnectionState state) {
    lock.lock();
    try {
      List<PluginInstance> instances = drivers.get(driver);
      if (instances == null) {
        return false;
      }
      for (int i = 0; i < instances.size(); i++) {
        PluginInstance instance = instances.get(i);
        if (instance.endpoint().equals(endpoint)) {
          if (instance.connection() == state) {
            return true;
          }
          PluginInstance changed = instance.withConnection(state);
          instances.set(i, changed);
          listeners.forEach(l -> l.connectionChanged(changed));
          if (state == ConnectionState.CONNECTED) {
            publish(AgentEvent.Type.CONNECTED, driver, endpoint, "DRA endpoint reachable");
          } else if (state == ConnectionState.DISCONNECTED) {
            publish(AgentEvent.Type.DISCONNECTED, driver, endpoint, "DRA endpoint not reachable");
          }
          updateState(driver, "instance " + endpoint + " " + state.name().toLowerCase(Locale.ROOT));
          return true;
        }
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  /** Records why a socket's plugin is not registered, and tells subscribers. */
  public void reject(Rejection rejection) {
    lock.lock();
    try {
      rejections.put(rejection.socket(), rejection);
      if (!rejection.retrying()) {
        unanswered.remove(rejection.socket());
      }
      listeners.forEach(l -> l.rejected(rejection));
      String driver = rejection.driver();
      publish(
          AgentEvent.Type.REJECTED,
          driver == null || driver.isEmpty()
              ? String.valueOf(rejection.socket().getFileName())
              : driver,
          rejection.socket().toString(),
          rejection.reason());
    } finally {
      lock.unlock();
    }
  }

  /** Records that a registration socket appeared and its plugin is being asked who it is. */
  public void awaitAnswer(Path socket) {
    lock.lock();
    try {
      unanswered.add(socket);
    } finally {
      lock.unlock();
    }
  }

  /**
   * How many registration sockets have not had a lasting answer yet (registered, refused, or of
   * another type): their plugins may still turn out to be drivers whose slices are on this node.
   */
  public int unansweredSockets() {
    lock.lock();
    try {
      return unanswered.size();
    } finally {
      lock.unlock();
    }
  }

  /** Records a socket of another plugin type (observer mode). */
  public void ignore(IgnoredSocket socket) {
    lock.lock();
    try {
      unanswered.remove(socket.socket());
      clearRejection(socket.socket());
      ignored.put(socket.socket(), socket);
    } finally {
      lock.unlock();
    }
  }

  /** Forgets what was recorded about a socket that is gone. */
  public void forgetSocket(Path socket) {
    lock.lock();
    try {
      unanswered.remove(socket);
      clearRejection(socket);
      ignored.remove(socket);
    } finally {
      lock.unlock();
    }
  }

  /** Drops a socket's refusal, if it has one, and tells subscribers. Caller holds the lock. */
  private void clearRejection(Path socket) {
    if (rejections.remove(socket) != null) {
      listeners.forEach(l -> l.rejectionCleared(socket));
    }
  }

  public List<DriverView> drivers() {
    lock.lock();
    try {
      List<DriverView> views = new ArrayList<>(drivers.size());
      for (Map.Entry<String, List<PluginInstance>> e : drivers.entrySet()) {
        views.add(view(e.getKey(), e.getValue()));
      }
      return views;
    } finally {
      lock.unlock();
    }
  }

  public Optional<DriverView> driver(String driver) {
    lock.lock();
    try {
      List<PluginInstance> instances = drivers.get(driver);
      return instances == null ? Optional.empty() : Optional.of(view(driver, instances));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Live drivers: usable, or with an instance that registered and is still connecting. Their slices
   * are never swept.
   */
  public Set<String> liveDrivers() {
    lock.lock();
    try {
      Set<String> live = new TreeSet<>();
      states.forEach(
          (driver, state) -> {
            if (state != DriverState.UNUSABLE) {
              live.add(driver);
            }
          });
      return live;
    } finally {
      lock.unlock();
    }
  }

  public List<Rejection> rejections() {
    lock.lock();
    try {
      return List.copyOf(rejections.values());
    } finally {
      lock.unlock();
    }
  }

  public List<IgnoredSocket> ignoredSockets() {
    lock.lock();
    try {
      return List.copyOf(ignored.values());
    } finally {
      lock.unlock();
    }
  }

  private void updateState(String driver, String reason) {
    List<PluginInstance> instances = drivers.getOrDefault(driver, List.of());
    DriverState next = DriverState.UNUSABLE;
    for (PluginInstance instance : instances) {
      if (instance.connection() == ConnectionState.CONNECTED) {
        next = DriverState.USABLE;
        break;
      }
      if (instance.connection() == ConnectionState.CONNECTING) {
        next = DriverState.CONNECTING;
      }
    }
    DriverState previous = states.get(driver);
    if (instances.isEmpty()) {
      states.remove(driver);
    } else {
      states.put(driver, next);
    }
    if (previous != next && !(previous == null && next == DriverState.UNUSABLE)) {
      for (DriverStateListener listener : stateListeners) {
        listener.driverStateChanged(driver, next, reason);
      }
    }
  }

  private static DriverView view(String driver, List<PluginInstance> instances) {
    PluginInstance active = active(instances);
    boolean usable = instances.stream().anyMatch(PluginInstance::connected);
    return new DriverView(
        driver, usable, active == null ? null : active.endpoint(), List.copyOf(instances));
  }

  private static @Nullable PluginInstance active(List<PluginInstance> instances) {
    for (int i = instances.size() - 1; i >= 0; i--) {
      if (instances.get(i).connected()) {
        return instances.get(i);
      }
    }
    return instances.isEmpty() ? null : instances.get(instances.size() - 1);
  }

  private void publish(
      AgentEvent.Type type, String driver, @Nullable String endpoint, String detail) {
    events.publish(new AgentEvent(type, clock.instant(), driver, endpoint, detail));
  }
}
