package io.dranode.agent.quarantine;

import io.dranode.agent.cleanup.NodeIdentity;
import io.dranode.agent.cleanup.PendingWipe;
import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.cleanup.WipeCause;
import io.dranode.agent.cleanup.WipeListener;
import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.QuarantinePools;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.config.Phases;
import io.dranode.agent.event.Subscription;
import io.dranode.agent.report.EventRecorder;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.util.backoff.BackOffExecution;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * Quarantines an unusable driver's devices while its wipe is pending ({@code
 * dra.agent.quarantine.enabled}): one {@code DeviceTaintRule} with a {@code NoSchedule} taint per
 * pool of this node's slices of the driver, so that no new pod is placed on them in the grace
 * period; running pods are not touched. Rules are deleted when the driver is usable again and once
 * its slices are wiped, and, at start-up and every sweep interval, every rule of this node that no
 * pending wipe explains. The pending wipes' changes only update what is wanted; one reconciliation
 * at a time, on the report thread, brings the API server in line, so a rule created while its
 * driver came back is deleted by the next one. Failures are retried with backoff on the scheduler;
 * nothing is written once stopped.
 */
@Component
public class Quarantines implements SmartLifecycle, WipeListener {

  /** The taint's key; its value is the driver's name. */
  public static final String TAINT_KEY = "dra.dranode.io/driver-unusable";

  /** The label that names the node a rule belongs to; the admission policy checks it. */
  public static final String NODE_LABEL = "dra.dranode.io/node";

  public static final String DEVICES_QUARANTINED = "DRADevicesQuarantined";
  public static final String QUARANTINE_LIFTED = "DRAQuarantineLifted";

  /** A label value holds at most 63 characters, and so must the node's name to be labelled. */
  static final int LABEL_VALUE_MAX = 63;

  private static final String GROUP = "resource.k8s.io";
  private static final String KIND = "DeviceTaintRule";
  private static final String PLURAL = "devicetaintrules";

  private static final Logger log = LoggerFactory.getLogger(Quarantines.class);

  /** The DeviceTaintRule API the server serves. */
  public enum Api {
    /** Not asked yet, or the API server did not answer. */
    UNKNOWN,
    V1,
    V1BETA2,
    /** Neither version is served: quarantine is off. */
    NONE;

    String version() {
      return this == V1 ? "v1" : "v1beta2";
    }
  }

  private final KubernetesClient client;
  private final NodeIdentity node;
  private final SliceInventory inventory;
  private final PendingWipes wipes;
  private final EventRecorder events;
  private final AgentScheduler scheduler;
  private final Executor executor;
  private final AgentProperties.Quarantine config;
  private final Duration sweepInterval;
  private final @Nullable MeterRegistry meters;
  private final ExponentialBackOff backOff;

  // Written by the wipes' callbacks: driver → why it is quarantined or lifted.
  private final Map<String, String> wanted = new ConcurrentHashMap<>();
  private final Map<String, String> lifted = new ConcurrentHashMap<>();
  private final AtomicBoolean queued = new AtomicBoolean();

  // The report thread's own.
  private final Map<String, TaintRule> present = new TreeMap<>();
  private final Map<String, Meter> gauges = new HashMap<>();
  private @Nullable BackOffExecution retries;
  private volatile boolean gcDue = true; // set by the sweep timer, read by the report thread

  private final Object lifecycle = new Object();
  private @Nullable Subscription subscription; // guarded by lifecycle
  private AgentScheduler.@Nullable Cancellable timer; // guarded by lifecycle
  private volatile Map<String, List<String>> rulesByDriver = Map.of();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile Api api = Api.UNKNOWN;
  private volatile @Nullable String lastError;
  private volatile boolean running;

  public Quarantines(
      KubernetesClient client,
      NodeIdentity node,
      SliceInventory inventory,
      PendingWipes wipes,
      EventRecorder events,
      AgentScheduler scheduler,
      @Qualifier("reportExecutor") Executor executor,
      AgentProperties properties,
      ObjectProvider<MeterRegistry> meters) {
    this.client = client;
    this.node = node;
    this.inventory = inventory;
    this.wipes = wipes;
    this.events = events;
    this.scheduler = scheduler;
    this.executor = executor;
    this.config = properties.quarantine();
    this.sweepInterval = properties.wipe().sweepInterval();
    this.meters = meters.getIfAvailable();
    // The kubelet's wipe backoff: 1 s, doubling, at most 5 min.
    this.backOff = new ExponentialBackOff(1000, 2.0);
    this.backOff.setMaxInterval(Duration.ofMinutes(5).toMillis());
  }

  // --- what is wanted, from the wipes (under their lock: record and queue only) ---

  @Override
  public void wipeScheduled(PendingWipe wipe) {
    if (wipe.cause() == WipeCause.DRIVER_UNUSABLE) {
      lifted.remove(wipe.driver());
      wanted.put(wipe.driver(), wipe.reason());
      reconcileSoon();
    }
  }

  @Override
  public void wipeCancelled(PendingWipe wipe, String why) {
    if (wanted.remove(wipe.driver()) != null) {
      lifted.put(wipe.driver(), "the driver is usable again (" + why + ")");
      reconcileSoon();
    }
  }

  @Override
  public void wipeFinished(WipeRecord record) {
    if (wanted.remove(record.driver()) != null) {
      lifted.put(
          record.driver(),
          record.result() == WipeRecord.Result.DELETED
              ? "its ResourceSlices were deleted"
              : "its wipe ended (" + record.result().wireName() + ")");
      reconcileSoon();
    }
  }

  // --- what the views show ---

  /** The names of the rules that quarantine the driver's pools now; empty when none. */
  public List<String> rules(String driver) {
    return rulesByDriver.getOrDefault(driver, List.of());
  }

  /** The DeviceTaintRule API found, {@link Api#UNKNOWN} before the first answer. */
  /**
   * Calls {@code changed} on the report thread, with no lock held, each time the rules of a driver
   * change (one made or deleted).
   */
  public Subscription subscribe(Runnable changed) {
    listeners.add(changed);
    return () -> listeners.remove(changed);
  }

  public Api api() {
    return api;
  }

  public boolean enabled() {
    return config.enabled();
  }

  /** The last failure of a reconciliation, until one succeeds; null when none failed. */
  public @Nullable String lastError() {
    return lastError;
  }

  // --- the reconciliation, on the report thread ---

  void reconcileSoon() {
    if (running && queued.compareAndSet(false, true)) {
      try {
        executor.execute(this::reconcile);
      } catch (RejectedExecutionException e) {
        log.debug("Quarantine not reconciled: the agent is shutting down");
      }
    }
  }

  private void reconcile() {
    queued.set(false);
    if (!running) {
      return;
    }
    Map<String, List<String>> created = new TreeMap<>();
    Set<String> cleared = new TreeSet<>();
    try {
      if (api == Api.UNKNOWN) {
        discover();
      }
      if (api == Api.NONE) {
        return;
      }
      Map<String, TaintRule> target = target();
      if (gcDue) {
        collectGarbage(target);
        gcDue = false;
      }
      for (TaintRule rule : target.values()) {
        if (!present.containsKey(rule.name())) {
          create(rule);
          present.put(rule.name(), rule);
          created.computeIfAbsent(rule.driver(), d -> new ArrayList<>()).add(rule.pool());
        }
      }
      for (TaintRule rule : List.copyOf(present.values())) {
        if (!target.containsKey(rule.name())) {
          delete(rule.name());
          present.remove(rule.name());
          cleared.add(rule.driver());
        }
      }
      retries = null;
      lastError = null;
    } catch (KubernetesClientException e) {
      retryLater(describe(e));
    } finally {
      publish();
      tell(created, cleared);
    }
  }

  /** The rules wanted now: one per pool of this node's slices of each quarantined driver. */
  private Map<String, TaintRule> target() {
    String nodeName = node.nodeName();
    Map<String, List<ResourceSlice>> slices = inventory.byDriver();
    Map<String, TaintRule> target = new TreeMap<>();
    for (String driver : wanted.keySet()) {
      Set<String> pools = new TreeSet<>();
      for (ResourceSlice slice : slices.getOrDefault(driver, List.of())) {
        String pool =
            slice.getSpec().getPool() == null ? null : slice.getSpec().getPool().getName();
        if (pool != null && (config.pools() == QuarantinePools.ANY || pool.equals(nodeName))) {
          pools.add(pool);
        }
      }
      for (String pool : pools) {
        TaintRule rule = TaintRule.of(nodeName, driver, pool);
        target.put(rule.name(), rule);
      }
    }
    return target;
  }

  private void discover() {
    if (node.nodeName().length() > LABEL_VALUE_MAX) {
      api = Api.NONE;
      log.warn(
          "Quarantine is off: the node name is longer than {} characters and cannot label the"
              + " rules it owns",
          LABEL_VALUE_MAX);
      return;
    }
    if (serves("v1")) {
      api = Api.V1;
    } else if (serves("v1beta2")) {
      api = Api.V1BETA2;
    } else {
      api = Api.NONE;
      log.warn(
          "Quarantine is off: the API server serves DeviceTaintRules neither in {}/v1 nor in"
              + " {}/v1beta2",
          GROUP,
          GROUP);
      return;
    }
    log.info(
        "Quarantine of unusable drivers' devices uses {}/{} DeviceTaintRules",
        GROUP,
        api.version());
  }

  private boolean serves(String version) {
    APIResourceList resources;
    try {
      resources = client.getApiResources(GROUP + "/" + version);
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return false;
      }
      throw e;
    }
    if (resources == null || resources.getResources() == null) {
      return false;
    }
    for (APIResource resource : resources.getResources()) {
      if (PLURAL.equals(resource.getName())) {
        return true;
      }
    }
    return false;
  }

  private NonNamespaceOperation<
          GenericKubernetesResource,
          io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
          Resource<GenericKubernetesResource>>
      rules() {
    return client.genericKubernetesResources(
        new ResourceDefinitionContext.Builder()
            .withGroup(GROUP)
            .withVersion(api.version())
            .withKind(KIND)
            .withPlural(PLURAL)
            .withNamespaced(false)
            .build());
  }

  private void create(TaintRule rule) {
    Map<String, Object> selector = new LinkedHashMap<>();
    selector.put("driver", rule.driver());
    selector.put("pool", rule.pool());
    Map<String, Object> taint = new LinkedHashMap<>();
    taint.put("key", TAINT_KEY);
    taint.put("value", rule.driver());
    taint.put("effect", "NoSchedule");
    GenericKubernetesResourceBuilder object =
        new GenericKubernetesResourceBuilder()
            .withApiVersion(GROUP + "/" + api.version())
            .withKind(KIND)
            .withNewMetadata()
            .withName(rule.name())
            .addToLabels(NODE_LABEL, node.nodeName())
            .endMetadata()
            .addToAdditionalProperties("spec", Map.of("deviceSelector", selector, "taint", taint));
    String uid = node.status().uid();
    GenericKubernetesResource resource = object.build();
    if (uid != null) {
      resource
          .getMetadata()
          .setOwnerReferences(
              List.of(
                  new OwnerReferenceBuilder()
                      .withApiVersion("v1")
                      .withKind("Node")
                      .withName(node.nodeName())
                      .withUid(uid)
                      .build()));
    }
    try {
      rules().resource(resource).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e; // 409: it exists already, which is what is wanted
      }
    }
  }

  private void delete(String name) {
    rules().withName(name).delete(); // NotFound is an empty answer: already gone
  }

  /** Deletes this node's rules that nothing wants (left by an earlier run, or by a lost delete). */
  private void collectGarbage(Map<String, TaintRule> target) {
    for (GenericKubernetesResource rule :
        rules().withLabel(NODE_LABEL, node.nodeName()).list().getItems()) {
      String name = rule.getMetadata().getName();
      if (!target.containsKey(name)) {
        delete(name);
        present.remove(name);
        log.info("Deleted DeviceTaintRule {}: no pending wipe of this node explains it", name);
      }
    }
  }

  private void publish() {
    Map<String, List<String>> byDriver = new TreeMap<>();
    present
        .values()
        .forEach(r -> byDriver.computeIfAbsent(r.driver(), d -> new ArrayList<>()).add(r.name()));
    byDriver.replaceAll((driver, names) -> List.copyOf(names));
    Map<String, List<String>> before = rulesByDriver;
    rulesByDriver = Map.copyOf(byDriver);
    if (!rulesByDriver.equals(before)) {
      listeners.forEach(Runnable::run);
    }
    MeterRegistry registry = meters;
    if (registry == null) {
      return;
    }
    for (String driver : byDriver.keySet()) {
      gauges.computeIfAbsent(
          driver,
          d ->
              Gauge.builder("dra.agent.quarantined.pools", this, q -> q.rules(d).size())
                  .tag("driver", d)
                  .description(
                      "Pools of this node quarantined (a NoSchedule DeviceTaintRule) per driver")
                  .register(registry));
    }
    for (String driver : List.copyOf(gauges.keySet())) {
      Meter gone = byDriver.containsKey(driver) ? null : gauges.remove(driver);
      if (gone != null) {
        registry.remove(gone);
      }
    }
  }

  private void tell(Map<String, List<String>> created, Set<String> cleared) {
    created.forEach(
        (driver, pools) ->
            events.record(
                EventRecorder.Type.WARNING,
                DEVICES_QUARANTINED,
                "No new pod is placed on the devices of DRA driver "
                    + driver
                    + " in pool(s) "
                    + String.join(", ", pools)
                    + " while it is unusable ("
                    + wanted.getOrDefault(driver, "its last instance is gone")
                    + "): NoSchedule taint "
                    + TAINT_KEY
                    + " until it comes back or its slices are deleted"));
    for (String driver : cleared) {
      if (rules(driver).isEmpty()) {
        events.record(
            EventRecorder.Type.NORMAL,
            QUARANTINE_LIFTED,
            "The quarantine of the devices of DRA driver "
                + driver
                + " is lifted: "
                + lifted.getOrDefault(driver, "no pending wipe explains it"));
        lifted.remove(driver);
      }
    }
  }

  private void retryLater(String error) {
    lastError = error;
    BackOffExecution execution = retries;
    if (execution == null) {
      execution = backOff.start();
      retries = execution;
      log.info("Quarantine reconciliation failed, retrying with backoff: {}", error);
    } else {
      log.debug("Quarantine reconciliation failed again: {}", error);
    }
    long delay = execution.nextBackOff();
    synchronized (lifecycle) {
      if (running) {
        scheduler.scheduleAfter(this::reconcileSoon, Duration.ofMillis(delay));
      }
    }
  }

  private static String describe(KubernetesClientException e) {
    return e.getCode() > 0
        ? "HTTP " + e.getCode() + (e.getStatus() == null ? "" : ": " + e.getStatus().getMessage())
        : String.valueOf(e.getMessage());
  }

  /** Garbage collection at start-up and every sweep interval, as the orphan sweep does. */
  private void collectRegularly() {
    gcDue = true;
    reconcileSoon();
    synchronized (lifecycle) {
      if (running) {
        timer = scheduler.scheduleAfter(this::collectRegularly, sweepInterval);
      }
    }
  }

  @Override
  public void start() {
    synchronized (lifecycle) {
      if (running || !config.enabled()) {
        return;
      }
      running = true;
      subscription = wipes.subscribe(this);
    }
    collectRegularly();
  }

  @Override
  public void stop() {
    synchronized (lifecycle) {
      running = false;
      if (subscription != null) {
        subscription.close();
        subscription = null;
      }
      if (timer != null) {
        timer.cancel();
        timer = null;
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
