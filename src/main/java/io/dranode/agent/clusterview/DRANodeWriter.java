package io.dranode.agent.clusterview;

import io.dranode.agent.cleanup.NodeIdentity;
import io.dranode.agent.cleanup.PendingWipe;
import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.cleanup.WipeListener;
import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.clusterview.DRANodeApi.Outcome;
import io.dranode.agent.condition.Condition;
import io.dranode.agent.condition.ConditionListener;
import io.dranode.agent.condition.DriverConditions;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.config.Phases;
import io.dranode.agent.devicehealth.DeviceHealthListener;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.event.Subscription;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.plugin.StoreListener;
import io.dranode.agent.quarantine.Quarantines;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.util.backoff.BackOffExecution;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * Keeps the node's {@code DRANode} in step with the agent, on change only: every change it is told
 * of marks the view dirty; a write goes out at most once per {@code
 * dra.agent.cluster-view.min-interval}, carries everything that changed meanwhile, and is not sent
 * at all when the status equals the one last written. The first write waits until the application
 * is ready (the initial registry scan is done), so the object appears once, with what the node has.
 * Writes run on the report thread, never on the scheduler's or on a thread that registers, connects
 * or wipes; failures are retried with backoff on the scheduler, and while the API server does not
 * serve DRANode objects (or refuses the write) the agent looks again only every {@code
 * recheck-interval}. Nothing is written once {@link #stop} ran, and the object is never deleted:
 * the Node's garbage collection removes it with the Node.
 */
@Component
class DRANodeWriter
    implements SmartLifecycle,
        StoreListener,
        WipeListener,
        ConditionListener,
        DeviceHealthListener {

  static final Duration RETRY_INITIAL = Duration.ofSeconds(1);
  static final Duration RETRY_MAX = Duration.ofMinutes(1);

  private static final Logger log = LoggerFactory.getLogger(DRANodeWriter.class);

  private final ClusterView view;
  private final String nodeName;
  private final DRANodeApi api;
  private final NodeIdentity node;
  private final PluginStore store;
  private final PendingWipes wipes;
  private final DriverConditions conditions;
  private final SliceInventory inventory;
  private final DeviceHealthMonitor deviceHealth;
  private final Quarantines quarantines;
  private final AgentScheduler scheduler;
  private final Executor executor;
  private final Clock clock;
  private final AgentProperties.ClusterView config;
  private final ExponentialBackOff backOff;
  private final Counter applied;
  private final Counter failed;

  private final Object lock = new Object();
  private final List<Subscription> subscriptions = new ArrayList<>(); // guarded by lock
  private boolean ready; // guarded by lock: the first write waits for it
  private boolean dirty; // guarded by lock
  private boolean writing; // guarded by lock: a write is queued or running on the report thread
  private AgentScheduler.@Nullable Cancellable next; // guarded by lock: a write or retry due
  private @Nullable Instant lastSent; // guarded by lock
  private @Nullable BackOffExecution retries; // guarded by lock
  private volatile ClusterViewState state;
  private volatile boolean running;
  // Report thread only.
  private @Nullable DRANodeStatus written;

  DRANodeWriter(
      ClusterView view,
      KubernetesClient client,
      NodeIdentity node,
      PluginStore store,
      PendingWipes wipes,
      DriverConditions conditions,
      SliceInventory inventory,
      DeviceHealthMonitor deviceHealth,
      Quarantines quarantines,
      AgentScheduler scheduler,
      @Qualifier("reportExecutor") Executor executor,
      Clock clock,
      AgentProperties properties,
      ObjectProvider<MeterRegistry> meters) {
    this.view = view;
    this.nodeName = properties.nodeName();
    this.api = new DRANodeApi(client, nodeName);
    this.node = node;
    this.store = store;
    this.wipes = wipes;
    this.conditions = conditions;
    this.inventory = inventory;
    this.deviceHealth = deviceHealth;
    this.quarantines = quarantines;
    this.scheduler = scheduler;
    this.executor = executor;
    this.clock = clock;
    this.config = properties.clusterView();
    this.backOff = new ExponentialBackOff(RETRY_INITIAL.toMillis(), 2.0);
    this.backOff.setMaxInterval(RETRY_MAX.toMillis());
    this.backOff.setJitter(RETRY_INITIAL.toMillis() / 5);
    MeterRegistry registry = meters.getIfAvailable(SimpleMeterRegistry::new);
    this.applied = writes(registry, "applied");
    this.failed = writes(registry, "failed");
    this.state =
        config.enabled()
            ? ClusterViewState.initial()
            : ClusterViewState.disabled("dra.agent.cluster-view.enabled=false");
  }

  private static Counter writes(MeterRegistry registry, String result) {
    return Counter.builder("dra.agent.cluster.view.writes")
        .tag("result", result)
        .description("Writes of the node's DRANode status: applied, or failed for any reason")
        .register(registry);
  }

  ClusterViewState state() {
    return state;
  }

  // --- what changes the view: each only marks it dirty ---

  @Override
  public void registered(PluginInstance instance) {
    changed();
  }

  @Override
  public void deregistered(PluginInstance instance, String why, boolean lastOfDriver) {
    changed();
  }

  @Override
  public void connectionChanged(PluginInstance instance) {
    changed();
  }

  @Override
  public void rejected(Rejection rejection) {
    changed();
  }

  @Override
  public void rejectionCleared(Path socket) {
    changed();
  }

  @Override
  public void wipeScheduled(PendingWipe wipe) {
    changed();
  }

  @Override
  public void wipeCancelled(PendingWipe wipe, String why) {
    changed();
  }

  @Override
  public void wipeAttemptFailed(PendingWipe wipe, Instant nextAttempt) {
    changed();
  }

  @Override
  public void wipeFinished(WipeRecord record) {
    changed();
  }

  @Override
  public void conditionChanged(String driver, @Nullable Condition before, Condition after) {
    changed();
  }

  @Override
  public void driverForgotten(String driver) {
    changed();
  }

  @Override
  public void nodeConditionChanged(@Nullable Condition before, Condition after) {
    changed();
  }

  @Override
  public void deviceHealthChanged(String driver) {
    changed();
  }

  /** Called under the caller's lock: records, and schedules a write if none is due. */
  void changed() {
    synchronized (lock) {
      if (!running) {
        return;
      }
      dirty = true;
      scheduleLocked();
    }
  }

  /** The application is ready: the initial registry scan is done. */
  @EventListener(ApplicationReadyEvent.class)
  void ready() {
    synchronized (lock) {
      if (!running || ready) {
        return;
      }
      ready = true;
      dirty = true; // the object exists from now on, even with no driver
      scheduleLocked();
    }
  }

  /**
   * Caller holds the lock. At most one write per min-interval; none while one is due or running.
   */
  private void scheduleLocked() {
    if (!config.enabled() || !ready || !dirty || writing || next != null) {
      return;
    }
    Instant now = clock.instant();
    Instant earliest = lastSent == null ? now : lastSent.plus(config.minInterval());
    next = scheduler.schedule(this::hand, earliest.isAfter(now) ? earliest : now);
  }

  /** On the scheduler: hands the write to the report thread. */
  private void hand() {
    synchronized (lock) {
      next = null;
      if (!running) {
        return;
      }
      writing = true;
      try {
        executor.execute(this::write);
      } catch (RejectedExecutionException e) {
        writing = false;
        log.debug("DRANode write dropped: the agent is shutting down");
      }
    }
  }

  /** On the report thread. */
  private void write() {
    synchronized (lock) {
      dirty = false; // what changes from now on goes into the next write
    }
    Outcome outcome = null;
    DRANodeStatus status = view.status();
    if (!status.equals(written) && running) {
      outcome = api.write(status, node.status().uid());
    }
    synchronized (lock) {
      writing = false;
      if (outcome != null) {
        lastSent = clock.instant();
        settle(outcome, status);
      }
      if (running) {
        scheduleLocked();
      }
    }
  }

  /** Caller holds the lock: records the outcome, and schedules a retry or a recheck. */
  private void settle(Outcome outcome, DRANodeStatus status) {
    Instant now = clock.instant();
    ClusterViewState before = state;
    if (outcome instanceof Outcome.Applied a) {
      written = status;
      retries = null;
      applied.increment();
      state = ClusterViewState.written(now);
      if (before.kind() != ClusterViewState.Kind.WRITTEN) {
        log.info(
            "DRANode {} {}: the node shows in kubectl get dranodes",
            nodeName,
            a.created() ? "created" : "written");
      }
      return;
    }
    failed.increment();
    if (outcome instanceof Outcome.Failed f) {
      BackOffExecution execution = retries == null ? backOff.start() : retries;
      retries = execution;
      Duration delay = Duration.ofMillis(execution.nextBackOff());
      if (f.retryAfter().compareTo(delay) > 0) {
        delay = f.retryAfter();
      }
      retryLocked(ClusterViewState.failing(f.detail(), now.plus(delay), before), delay);
    } else if (outcome instanceof Outcome.NotServed n) {
      Duration delay = config.recheckInterval();
      retryLocked(ClusterViewState.notServed(n.detail(), now.plus(delay), before), delay);
    } else if (outcome instanceof Outcome.Refused r) {
      Duration delay = config.recheckInterval();
      retryLocked(ClusterViewState.refused(r.detail(), now.plus(delay), before), delay);
    }
  }

  private void retryLocked(ClusterViewState failing, Duration delay) {
    ClusterViewState before = state;
    state = failing;
    if (before.kind() != failing.kind()) {
      log.warn("{}", failing.describe());
    } else {
      log.debug("{}", failing.describe());
    }
    dirty = true; // the retry writes whatever the status is by then
    if (running) {
      next = scheduler.schedule(this::hand, clock.instant().plus(delay));
    }
  }

  @Override
  public void start() {
    synchronized (lock) {
      if (running) {
        return;
      }
      running = true;
      if (!config.enabled()) {
        log.info("The DRANode cluster-wide view is off (dra.agent.cluster-view.enabled=false)");
        return;
      }
      subscriptions.add(store.subscribe(this));
      subscriptions.add(wipes.subscribe(this));
      subscriptions.add(conditions.subscribe(this));
      subscriptions.add(deviceHealth.subscribe(this));
      subscriptions.add(inventory.subscribe(this::changed));
      subscriptions.add(quarantines.subscribe(this::changed));
    }
  }

  /** Nothing is written from now on; the object stays (a restart must not flap the view). */
  @Override
  public void stop() {
    synchronized (lock) {
      running = false;
      subscriptions.forEach(Subscription::close);
      subscriptions.clear();
      if (next != null) {
        next.cancel();
        next = null;
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
