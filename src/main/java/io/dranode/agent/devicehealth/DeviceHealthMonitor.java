package io.dranode.agent.devicehealth;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.config.Phases;
import io.dranode.agent.event.Subscription;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginConnections;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.StoreListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Device health of every driver (KEP-4680): keeps one {@code NodeWatchResources} stream per driver
 * and shows the last complete device list of each, a device whose report is older than its timeout
 * ({@code health_check_timeout_seconds}, else {@code dra.agent.device-health.default-timeout})
 * being {@link Health#UNKNOWN}. The store's changes are handed to the gRPC executor: the store
 * tells them under its lock, and the reconciliation reads the store again.
 */
@Component
public class DeviceHealthMonitor implements SmartLifecycle, StoreListener {

  private static final Logger log = LoggerFactory.getLogger(DeviceHealthMonitor.class);

  private final PluginStore store;
  private final Executor executor;
  private final Clock clock;
  private final Duration defaultTimeout;
  private final DeviceTable table = new DeviceTable();
  private final HealthWatches watches;
  private final List<DeviceHealthListener> listeners = new CopyOnWriteArrayList<>();

  private final Object lifecycle = new Object();
  private @Nullable Subscription subscription; // guarded by lifecycle
  private volatile boolean running;

  public DeviceHealthMonitor(
      PluginStore store,
      PluginConnections connections,
      AgentScheduler scheduler,
      @Qualifier("grpcExecutor") Executor executor,
      Clock clock,
      AgentProperties properties) {
    this.store = store;
    this.executor = executor;
    this.clock = clock;
    this.defaultTimeout = properties.deviceHealth().defaultTimeout();
    this.watches =
        new HealthWatches(
            store,
            connections,
            scheduler,
            clock,
            properties.deviceHealth().retryInterval(),
            table,
            driver -> listeners.forEach(l -> l.deviceHealthChanged(driver)));
  }

  /** Adds a listener; closing the handle removes it. */
  public Subscription subscribe(DeviceHealthListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Everything known of one driver's device health now. */
  public DriverHealth health(String driver) {
    Instant now = clock.instant();
    return new DriverHealth(
        watches.support(driver),
        table.reported(driver),
        table.entries(driver, now, defaultTimeout),
        table.nextExpiry(driver, now, defaultTimeout));
  }

  /** Every known device, sorted by driver, pool and device. */
  public List<DeviceHealthEntry> devices() {
    return table.entries(clock.instant(), defaultTimeout);
  }

  /** The devices of one driver, sorted by pool and device; empty when none are known. */
  public List<DeviceHealthEntry> devices(String driver) {
    return table.entries(driver, clock.instant(), defaultTimeout);
  }

  /** How many of the driver's devices are in each state; every state is present, zeros included. */
  public Map<Health, Integer> summary(String driver) {
    return count(devices(driver));
  }

  /** {@link #summary} of every driver that reported a device list, by driver name. */
  public Map<String, Map<Health, Integer>> summaries() {
    Map<String, Map<Health, Integer>> summaries = new TreeMap<>();
    for (String driver : table.drivers()) {
      summaries.put(driver, summary(driver));
    }
    return Collections.unmodifiableMap(summaries);
  }

  private static Map<Health, Integer> count(List<DeviceHealthEntry> entries) {
    Map<Health, Integer> counts = new EnumMap<>(Health.class);
    for (Health health : Health.values()) {
      counts.put(health, 0);
    }
    entries.forEach(e -> counts.merge(e.health(), 1, Integer::sum));
    return Collections.unmodifiableMap(counts);
  }

  @Override
  public void registered(PluginInstance instance) {
    submit(instance.driver(), false);
  }

  @Override
  public void deregistered(PluginInstance instance, String why, boolean lastOfDriver) {
    submit(instance.driver(), false);
  }

  @Override
  public void connectionChanged(PluginInstance instance) {
    if (instance.connection() == ConnectionState.CONNECTED) {
      submit(instance.driver(), true);
    }
  }

  /** Called under the store's lock: only queues. */
  private void submit(String driver, boolean kick) {
    try {
      executor.execute(() -> watches.reconcile(driver, kick));
    } catch (RejectedExecutionException e) {
      log.debug("Device health of {} not reconciled: shutting down", driver);
    }
  }

  @Override
  public void start() {
    synchronized (lifecycle) {
      if (running) {
        return;
      }
      watches.start();
      subscription = store.subscribe(this);
      running = true;
    }
    // Instances registered before the subscription: reconciling twice is harmless.
    for (DriverView driver : store.drivers()) {
      watches.reconcile(driver.driver(), false);
    }
  }

  /** Cancels every stream before the channels they run on are closed. */
  @Override
  public void stop() {
    synchronized (lifecycle) {
      running = false;
      Subscription current = subscription;
      subscription = null;
      if (current != null) {
        current.close();
      }
      watches.stop();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return Phases.DEVICE_HEALTH;
  }
}
