package io.dranode.agent.clusterview;

import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.cleanup.SweepExemptions;
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.condition.Condition;
import io.dranode.agent.condition.ConditionStatus;
import io.dranode.agent.condition.DriverConditions;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentVersion;
import io.dranode.agent.devicehealth.Health;
import io.dranode.agent.input.Untrusted;
import io.dranode.agent.view.AgentViews;
import io.dranode.agent.view.Views;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * The node's {@code DRANode} status, built fresh from the read model every API shows ({@link
 * AgentViews}), the slice informer, the wipe history and the node's {@code DriversReady}, then cut
 * to its bounds ({@link StatusBounds}). The object's writer and {@code GET /api/v1/node} both take
 * it from here and serialize it with {@link #json}, so the two cannot say different things.
 */
@Component
public class ClusterView {

  /** The downward-API variable that names the agent's pod. */
  static final String POD_NAME = "POD_NAME";

  private final AgentViews views;
  private final SliceInventory inventory;
  private final SweepExemptions exemptions;
  private final WipeHistory history;
  private final DriverConditions conditions;
  private final AgentProperties properties;
  private final KubernetesSerialization serialization;
  private final StatusBounds bounds;
  private final DRANodeStatus.Agent agent;

  public ClusterView(
      AgentViews views,
      SliceInventory inventory,
      SweepExemptions exemptions,
      WipeHistory history,
      DriverConditions conditions,
      AgentProperties properties,
      KubernetesClient client,
      Clock clock,
      Environment environment) {
    this.views = views;
    this.inventory = inventory;
    this.exemptions = exemptions;
    this.history = history;
    this.conditions = conditions;
    this.properties = properties;
    this.serialization = client.getKubernetesSerialization();
    this.bounds = new StatusBounds(serialization, clock);
    String pod = environment.getProperty(POD_NAME);
    this.agent =
        new DRANodeStatus.Agent(
            properties.mode() == AgentProperties.Mode.OBSERVER
                ? DRANodeStatus.Mode.OBSERVER
                : DRANodeStatus.Mode.REGISTRAR,
            Untrusted.bounded(AgentVersion.current(), DRANodeStatus.SHORT_MAX),
            pod == null || pod.isBlank() ? null : Untrusted.bounded(pod, DRANodeStatus.NAME_MAX));
  }

  /** The status as it stands now, within its bounds. */
  public DRANodeStatus status() {
    Views.Plugins plugins = views.plugins();
    Map<String, Integer> slices = new HashMap<>();
    Map<String, String> kept = new HashMap<>();
    inventory
        .byDriver()
        .forEach(
            (driver, list) -> {
              slices.put(driver, list.size());
              String why = exemptions.keptBecause(driver, list);
              if (why != null) {
                kept.put(driver, why);
              }
            });
    Map<String, WipeRecord> lastWipes = new HashMap<>();
    for (WipeRecord record : history.recent()) { // newest first
      lastWipes.putIfAbsent(record.driver(), record);
    }
    List<DRANodeStatus.Driver> drivers = new ArrayList<>(plugins.drivers().size());
    for (Views.Driver driver : plugins.drivers()) {
      drivers.add(
          driver(
              driver,
              slices.getOrDefault(driver.driver(), 0),
              lastWipes.get(driver.driver()),
              kept.get(driver.driver())));
    }
    Path registry = properties.registryDir();
    List<DRANodeStatus.RejectedSocket> rejected = new ArrayList<>(plugins.rejected().size());
    for (Views.RejectedSocket socket : plugins.rejected()) {
      rejected.add(rejected(socket, registry));
    }
    Condition ready = conditions.driversReady();
    return bounds.apply(
        agent,
        drivers,
        rejected,
        ready == null ? null : condition(ready),
        (int) plugins.drivers().stream().filter(d -> d.pendingWipe() != null).count());
  }

  /** The status as JSON, exactly as it is written into the object. */
  public String json(DRANodeStatus status) {
    return serialization.asJson(status);
  }

  private static DRANodeStatus.Driver driver(
      Views.Driver view, int slices, @Nullable WipeRecord lastWipe, @Nullable String keptBecause) {
    List<DRANodeStatus.Instance> instances = new ArrayList<>(view.instances().size());
    for (Views.Instance instance : view.instances()) {
      instances.add(
          new DRANodeStatus.Instance(
              Untrusted.bounded(instance.endpoint(), DRANodeStatus.PATH_MAX),
              instance.service(),
              instance.healthService(),
              switch (instance.connection()) {
                case CONNECTING -> DRANodeStatus.Connection.CONNECTING;
                case CONNECTED -> DRANodeStatus.Connection.CONNECTED;
                case DISCONNECTED -> DRANodeStatus.Connection.DISCONNECTED;
              },
              time(instance.registeredAt())));
    }
    Map<Health, Integer> devices = view.deviceHealth();
    Views.PendingWipe pending = view.pendingWipe();
    return new DRANodeStatus.Driver(
        view.driver(),
        view.usable(),
        instances,
        null,
        slices,
        new DRANodeStatus.Devices(
            devices.getOrDefault(Health.HEALTHY, 0),
            devices.getOrDefault(Health.UNHEALTHY, 0),
            devices.getOrDefault(Health.UNKNOWN, 0)),
        pending == null ? null : pendingWipe(pending),
        lastWipe == null
            ? null
            : new DRANodeStatus.LastWipe(
                time(lastWipe.finishedAt()), lastWipe.deleted(), result(lastWipe.result())),
        keptBecause,
        view.conditions().stream().map(ClusterView::condition).toList());
  }

  private static DRANodeStatus.PendingWipe pendingWipe(Views.PendingWipe pending) {
    List<String> rules = pending.taintRules().stream().sorted().toList();
    int omitted = Math.max(0, rules.size() - DRANodeStatus.TAINT_RULES_MAX);
    return new DRANodeStatus.PendingWipe(
        time(pending.dueAt()),
        pending.attempts(),
        pending.lastError() == null
            ? null
            : Untrusted.bounded(pending.lastError(), DRANodeStatus.MESSAGE_MAX),
        pending.quarantined(),
        rules.subList(0, rules.size() - omitted),
        omitted == 0 ? null : omitted);
  }

  private static DRANodeStatus.WipeResult result(WipeRecord.Result result) {
    return switch (result) {
      case DELETED -> DRANodeStatus.WipeResult.DELETED;
      case CANCELLED -> DRANodeStatus.WipeResult.CANCELLED;
      case FAILED -> DRANodeStatus.WipeResult.FAILED;
      case DRY_RUN -> DRANodeStatus.WipeResult.DRY_RUN;
    };
  }

  /** A socket path relative to the registry folder, the driver it claimed quoted, the reason. */
  private static DRANodeStatus.RejectedSocket rejected(Views.RejectedSocket socket, Path registry) {
    Path path = Path.of(socket.socket());
    String shown =
        path.startsWith(registry) ? registry.relativize(path).toString() : path.toString();
    String driver = socket.driver();
    return new DRANodeStatus.RejectedSocket(
        Untrusted.bounded(shown, DRANodeStatus.PATH_MAX),
        driver == null || driver.isEmpty()
            ? null
            : Untrusted.bounded(Untrusted.quote(driver), DRANodeStatus.QUOTED_MAX),
        Untrusted.bounded(socket.reason(), DRANodeStatus.MESSAGE_MAX));
  }

  static DRANodeStatus.Condition condition(Condition condition) {
    return new DRANodeStatus.Condition(
        condition.type(),
        status(condition.status()),
        condition.reason(),
        Untrusted.bounded(condition.message(), DRANodeStatus.MESSAGE_MAX),
        time(condition.lastTransitionTime()));
  }

  static DRANodeStatus.Status status(ConditionStatus status) {
    return switch (status) {
      case TRUE -> DRANodeStatus.Status.TRUE;
      case FALSE -> DRANodeStatus.Status.FALSE;
      case UNKNOWN -> DRANodeStatus.Status.UNKNOWN;
    };
  }

  /** RFC 3339 in whole seconds, as Kubernetes writes times. */
  static String time(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
