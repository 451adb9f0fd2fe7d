package io.dranode.agent.condition;

import io.dranode.agent.cleanup.PendingWipe;
import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.cleanup.WipeListener;
import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.config.Phases;
import io.dranode.agent.devicehealth.DeviceHealthListener;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.event.Subscription;
import io.dranode.agent.input.KubernetesNames;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.plugin.StoreListener;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The conditions of every driver this node knows of: registered, or with a pending wipe, a refused
 * socket that named it, or slices on this node (so the reason a driver vanished stays visible until
 * nothing of it is left). Recomputed on the scheduler whenever the store, the wipes, the slice
 * informer or device health change, and again when time alone could change a verdict (the slices'
 * grace period, a device report's timeout): no polling of anything.
 */
@Component
public class DriverConditions
    implements SmartLifecycle, StoreListener, WipeListener, DeviceHealthListener {

  private final PluginStore store;
  private final PendingWipes wipes;
  private final SliceInventory inventory;
  private final DeviceHealthMonitor deviceHealth;
  private final AgentScheduler scheduler;
  private final Clock clock;
  private final Duration slicesGrace;
  private final List<ConditionListener> listeners = new CopyOnWriteArrayList<>();
  // Written under the store's lock by its callbacks: a map of its own, never our lock.
  private final Map<String, String> goneBecause = new ConcurrentHashMap<>();

  private final ReentrantLock evaluating = new ReentrantLock(); // one evaluation at a time
  private final AtomicBoolean requested = new AtomicBoolean();
  private final Object lock = new Object();
  private Map<String, List<Condition>> current = Map.of(); // guarded by lock
  private @Nullable Condition driversReady; // guarded by lock
  private final List<Subscription> subscriptions = new ArrayList<>(); // guarded by lock
  private AgentScheduler.@Nullable Cancellable recheck; // guarded by lock
  private volatile boolean running;

  public DriverConditions(
      PluginStore store,
      PendingWipes wipes,
      SliceInventory inventory,
      DeviceHealthMonitor deviceHealth,
      AgentScheduler scheduler,
      Clock clock,
      AgentProperties properties) {
    this.store = store;
    this.wipes = wipes;
    this.inventory = inventory;
    this.deviceHealth = deviceHealth;
    this.scheduler = scheduler;
    this.clock = clock;
    this.slicesGrace = properties.diagnostics().slicesGrace();
  }

  /** Adds a listener; closing the handle removes it. */
  public Subscription subscribe(ConditionListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /**
   * Every driver with an entry, by name, each with its conditions in {@link Conditions#TYPES}
   * order.
   */
  public Map<String, List<Condition>> byDriver() {
    synchronized (lock) {
      return current;
    }
  }

  /** One driver's conditions; empty when it has no entry (yet). */
  public List<Condition> of(String driver) {
    synchronized (lock) {
      return current.getOrDefault(driver, List.of());
    }
  }

  /** The node's {@code DriversReady}; null before the first evaluation. */
  public @Nullable Condition driversReady() {
    synchronized (lock) {
      return driversReady;
    }
  }

  // --- what changes them: each only asks for an evaluation ---

  @Override
  public void registered(PluginInstance instance) {
    goneBecause.remove(instance.driver());
    request();
  }

  @Override
  public void deregistered(PluginInstance instance, String why, boolean lastOfDriver) {
    if (lastOfDriver) {
      goneBecause.put(instance.driver(), why);
    }
    request();
  }

  @Override
  public void connectionChanged(PluginInstance instance) {
    request();
  }

  @Override
  public void rejected(Rejection rejection) {
    request();
  }

  @Override
  public void rejectionCleared(Path socket) {
    request();
  }

  @Override
  public void wipeScheduled(PendingWipe wipe) {
    request();
  }

  @Override
  public void wipeCancelled(PendingWipe wipe, String why) {
    request();
  }

  @Override
  public void wipeFinished(WipeRecord record) {
    request();
  }

  @Override
  public void deviceHealthChanged(String driver) {
    request();
  }

  /** Asks for an evaluation soon; many asks before it runs make one evaluation. */
  void request() {
    if (running && requested.compareAndSet(false, true)) {
      scheduler.schedule(this::evaluate, clock.instant());
    }
  }

  /** Recomputes every driver's conditions and tells the listeners what changed. */
  void evaluate() {
    evaluating.lock();
    try {
      requested.set(false);
      if (!running) {
        return;
      }
      Instant now = clock.instant();
      Map<String, List<Condition>> before;
      synchronized (lock) {
        before = current;
      }
      Map<String, List<Condition>> after = new TreeMap<>();
      Instant nextRecheck = null;
      for (DriverFacts facts : facts(before, now)) {
        ConditionRules.Evaluation evaluation = ConditionRules.evaluate(facts, now, slicesGrace);
        after.put(
            facts.driver(),
            transitions(before.getOrDefault(facts.driver(), List.of()), evaluation, now));
        Instant recheckAt = evaluation.recheckAt();
        if (recheckAt != null && (nextRecheck == null || recheckAt.isBefore(nextRecheck))) {
          nextRecheck = recheckAt;
        }
      }
      Map<String, List<Condition>> published = Collections.unmodifiableMap(after);
      Condition readyBefore;
      Condition readyAfter;
      synchronized (lock) {
        readyBefore = driversReady;
        readyAfter = transition(readyBefore, ConditionRules.driversReady(published), now);
        current = published;
        driversReady = readyAfter;
        scheduleRecheck(nextRecheck);
      }
      tell(before, published, readyBefore, readyAfter);
    } finally {
      evaluating.unlock();
    }
  }

  private List<DriverFacts> facts(Map<String, List<Condition>> before, Instant now) {
    Map<String, DriverView> drivers = new TreeMap<>();
    store.drivers().forEach(d -> drivers.put(d.driver(), d));
    Map<String, Rejection> refusals = new TreeMap<>();
    for (Rejection r : store.rejections()) {
      String named = r.driver();
      if (named != null && KubernetesNames.isDriverName(named)) {
        refusals.merge(named, r, (a, b) -> a.lastAttemptAt().isAfter(b.lastAttemptAt()) ? a : b);
      }
    }
    Set<String> pending = new TreeSet<>();
    wipes.pending().forEach(w -> pending.add(w.driver()));
    boolean synced = inventory.synced();
    Map<String, List<ResourceSlice>> slices = inventory.byDriver();

    Set<String> names = new TreeSet<>(drivers.keySet());
    names.addAll(refusals.keySet());
    names.addAll(pending);
    names.addAll(slices.keySet());
    goneBecause.keySet().retainAll(names);

    List<DriverFacts> all = new ArrayList<>(names.size());
    for (String name : names) {
      DriverView view = drivers.get(name);
      List<PluginInstance> instances = view == null ? List.of() : view.instances();
      all.add(
          new DriverFacts(
              name,
              instances.stream().map(PluginInstance::connection).toList(),
              instances.stream().map(PluginInstance::endpoint).toList(),
              refusals.get(name),
              goneBecause.get(name),
              synced,
              slices.getOrDefault(name, List.of()).size(),
              usableSince(view, before.getOrDefault(name, List.of()), now),
              deviceHealth.health(name)));
    }
    return all;
  }

  /** Since when the driver has been usable: its {@code Connected=True}'s transition, or now. */
  private static @Nullable Instant usableSince(
      @Nullable DriverView view, List<Condition> before, Instant now) {
    if (view == null || !view.usable()) {
      return null;
    }
    for (Condition c : before) {
      if (c.type().equals(Conditions.CONNECTED) && c.status() == ConditionStatus.TRUE) {
        return c.lastTransitionTime();
      }
    }
    return now;
  }

  private static List<Condition> transitions(
      List<Condition> before, ConditionRules.Evaluation evaluation, Instant now) {
    List<Condition> after = new ArrayList<>(evaluation.verdicts().size());
    for (ConditionRules.Verdict verdict : evaluation.verdicts()) {
      Condition previous =
          before.stream().filter(c -> c.type().equals(verdict.type())).findFirst().orElse(null);
      after.add(transition(previous, verdict, now));
    }
    return List.copyOf(after);
  }

  /** The verdict as a condition: its transition time moves only when its status changes. */
  private static Condition transition(
      @Nullable Condition previous, ConditionRules.Verdict verdict, Instant now) {
    Instant since =
        previous != null && previous.status() == verdict.status()
            ? previous.lastTransitionTime()
            : now;
    return new Condition(
        verdict.type(), verdict.status(), verdict.reason(), verdict.message(), since);
  }

  private void tell(
      Map<String, List<Condition>> before,
      Map<String, List<Condition>> after,
      @Nullable Condition readyBefore,
      Condition readyAfter) {
    after.forEach(
        (driver, conditions) -> {
          List<Condition> previous = before.getOrDefault(driver, List.of());
          for (Condition condition : conditions) {
            Condition was =
                previous.stream()
                    .filter(c -> c.type().equals(condition.type()))
                    .findFirst()
                    .orElse(null);
            if (!condition.equals(was)) {
              listeners.forEach(l -> l.conditionChanged(driver, was, condition));
            }
          }
        });
    for (String driver : before.keySet()) {
      if (!after.containsKey(driver)) {
        listeners.forEach(l -> l.driverForgotten(driver));
      }
    }
    if (!readyAfter.equals(readyBefore)) {
      listeners.forEach(l -> l.nodeConditionChanged(readyBefore, readyAfter));
    }
  }

  /** Caller holds the lock. */
  private void scheduleRecheck(@Nullable Instant at) {
    AgentScheduler.Cancellable previous = recheck;
    if (previous != null) {
      previous.cancel();
    }
    recheck = at == null ? null : scheduler.schedule(this::request, at);
  }

  @Override
  public void start() {
    synchronized (lock) {
      if (running) {
        return;
      }
      running = true;
      subscriptions.add(store.subscribe(this));
      subscriptions.add(wipes.subscribe(this));
      subscriptions.add(deviceHealth.subscribe(this));
      subscriptions.add(inventory.subscribe(this::request));
    }
    request();
  }

  @Override
  public void stop() {
    synchronized (lock) {
      running = false;
      subscriptions.forEach(Subscription::close);
      subscriptions.clear();
      if (recheck != null) {
        recheck.cancel();
        recheck = null;
      }
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return Phases.REPORT;
  }
}
