package io.dranode.agent.report;

import io.dranode.agent.cleanup.PendingWipe;
import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.WipeCause;
import io.dranode.agent.cleanup.WipeListener;
import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.condition.Condition;
import io.dranode.agent.condition.ConditionListener;
import io.dranode.agent.condition.ConditionStatus;
import io.dranode.agent.condition.Conditions;
import io.dranode.agent.condition.DriverConditions;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.Mode;
import io.dranode.agent.config.Phases;
import io.dranode.agent.event.Subscription;
import io.dranode.agent.input.Untrusted;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.plugin.StoreListener;
import io.dranode.agent.report.EventRecorder.Type;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Turns what happens to the node's drivers into Kubernetes Events on its Node, with the reasons
 * below (a contract: alerts and docs rely on them). In observer mode the kubelet decides
 * registrations, and the wording says only what the agent saw.
 */
@Component
public class NodeEvents implements SmartLifecycle, StoreListener, WipeListener, ConditionListener {

  public static final String DRIVER_REGISTERED = "DRADriverRegistered";
  public static final String PLUGIN_REJECTED = "DRAPluginRejected";
  public static final String DRIVER_UNUSABLE = "DRADriverUnusable";
  public static final String DRIVER_RECOVERED = "DRADriverRecovered";
  public static final String SLICES_WIPED = "DRASlicesWiped";
  public static final String WIPE_FAILING = "DRAWipeFailing";
  public static final String ORPHAN_SLICES_DELETED = "DRAOrphanSlicesDeleted";
  public static final String DRIVER_PUBLISHES_NO_SLICES = "DRADriverPublishesNoSlices";
  public static final String DEVICES_UNHEALTHY = "DRADevicesUnhealthy";

  /** A socket path is shorter than this anyway (108 bytes); the bound keeps a message short. */
  private static final int SOCKET_MAX_BYTES = 128;

  /** Attempts after which a plugin that cannot be reached is reported. */
  static final int UNREACHABLE_REPORTED = 3;

  /** Failed attempts after which a failing wipe is first reported; then at each doubling. */
  static final int WIPE_FAILURES_REPORTED = 3;

  private static final Logger log = LoggerFactory.getLogger(NodeEvents.class);

  private final EventRecorder recorder;
  private final PluginStore store;
  private final PendingWipes wipes;
  private final DriverConditions conditions;
  private final AgentProperties properties;
  private final Object lock = new Object();
  private final List<Subscription> subscriptions = new ArrayList<>(); // guarded by lock
  private volatile boolean running;

  public NodeEvents(
      EventRecorder recorder,
      PluginStore store,
      PendingWipes wipes,
      DriverConditions conditions,
      AgentProperties properties) {
    this.recorder = recorder;
    this.store = store;
    this.wipes = wipes;
    this.conditions = conditions;
    this.properties = properties;
  }

  private boolean observer() {
    return properties.mode() == Mode.OBSERVER;
  }

  // --- the store ---

  @Override
  public void registered(PluginInstance instance) {
    String services =
        instance.service()
            + (instance.healthService() == null ? "" : ", " + instance.healthService());
    recorder.record(
        Type.NORMAL,
        DRIVER_REGISTERED,
        observer()
            ? "Found instance "
                + instance.endpoint()
                + " of DRA driver "
                + instance.driver()
                + " ("
                + services
                + "); the kubelet registers it"
            : "Registered instance "
                + instance.endpoint()
                + " of DRA driver "
                + instance.driver()
                + " ("
                + services
                + ")");
  }

  /**
   * A refusal, or a plugin that cannot be reached. The latter is told only once it persists
   * ({@value #UNREACHABLE_REPORTED} attempts), and by its status code alone: its description varies
   * from one attempt to the next, and each variant would be a new Event.
   */
  @Override
  public void rejected(Rejection rejection) {
    String socket = shown(rejection.socket());
    String named =
        rejection.driver() == null ? "" : " (driver " + Untrusted.quote(rejection.driver()) + ")";
    String message;
    if (rejection.retrying()) {
      if (rejection.attempts() < UNREACHABLE_REPORTED) {
        return;
      }
      String reason = rejection.reason();
      int colon = reason.indexOf(':');
      message =
          "Cannot reach the plugin at "
              + socket
              + named
              + " ("
              + (colon > 0 ? reason.substring(0, colon) : reason)
              + "); retrying with backoff";
    } else if (observer()) {
      message =
          "The agent's validation refuses the plugin at "
              + socket
              + named
              + ": "
              + rejection.reason()
              + " (the kubelet decides whether it is registered)";
    } else {
      message = "Refused the plugin at " + socket + named + ": " + rejection.reason();
    }
    recorder.record(Type.WARNING, PLUGIN_REJECTED, message);
  }

  /** A socket path relative to the registry folder, as operators know it. */
  private String shown(Path socket) {
    Path registry = properties.registryDir();
    return Untrusted.bounded(
        socket.startsWith(registry) ? registry.relativize(socket).toString() : socket.toString(),
        SOCKET_MAX_BYTES);
  }

  // --- the wipes ---

  @Override
  public void wipeCancelled(PendingWipe wipe, String why) {
    recorder.record(
        Type.NORMAL,
        DRIVER_RECOVERED,
        "The deletion of the ResourceSlices of DRA driver "
            + wipe.driver()
            + " due at "
            + time(wipe.dueAt())
            + " was cancelled: "
            + why);
  }

  @Override
  public void wipeAttemptFailed(PendingWipe wipe, Instant nextAttempt) {
    int failures = wipe.attempts();
    if (failures < WIPE_FAILURES_REPORTED || !reportedFailureCount(failures)) {
      return;
    }
    recorder.record(
        Type.WARNING,
        WIPE_FAILING,
        "Deleting the ResourceSlices of DRA driver "
            + wipe.driver()
            + " failed "
            + failures
            + " times; last error: "
            + wipe.lastError()
            + "; next attempt at "
            + time(nextAttempt));
  }

  /** 3, 6, 12, 24, …: a failing wipe is reported again each time its failures double. */
  private static boolean reportedFailureCount(int failures) {
    if (failures % WIPE_FAILURES_REPORTED != 0) {
      return false;
    }
    int multiple = failures / WIPE_FAILURES_REPORTED;
    return (multiple & (multiple - 1)) == 0;
  }

  @Override
  public void wipeFinished(WipeRecord record) {
    boolean dryRun = record.result() == WipeRecord.Result.DRY_RUN;
    switch (record.result()) {
      case DELETED, DRY_RUN -> {
        if (record.cause() == WipeCause.ORPHANED) {
          if (record.deleted() > 0) {
            recorder.record(
                Type.NORMAL,
                ORPHAN_SLICES_DELETED,
                (dryRun ? "Dry run: would have deleted " : "Deleted ")
                    + slices(record.deleted())
                    + " of DRA driver "
                    + record.driver()
                    + ", which has no instance on this node");
          }
        } else {
          recorder.record(
              Type.NORMAL,
              SLICES_WIPED,
              (dryRun ? "Dry run: would have deleted " : "Deleted ")
                  + slices(record.deleted())
                  + " of DRA driver "
                  + record.driver()
                  + " from this node ("
                  + record.detail()
                  + ")");
        }
      }
      case FAILED ->
          recorder.record(
              Type.WARNING,
              WIPE_FAILING,
              "Gave up deleting the ResourceSlices of DRA driver "
                  + record.driver()
                  + ": "
                  + record.detail());
      case CANCELLED -> {} // told when it was cancelled
    }
  }

  // --- the conditions ---

  @Override
  public void conditionChanged(String driver, @Nullable Condition before, Condition after) {
    boolean becameFalse =
        after.status() == ConditionStatus.FALSE
            && (before == null || before.status() != ConditionStatus.FALSE);
    if (!becameFalse) {
      return;
    }
    switch (after.type()) {
      case Conditions.CONNECTED -> {
        if (before != null) {
          recorder.record(Type.WARNING, DRIVER_UNUSABLE, unusable(driver, after));
        }
      }
      case Conditions.SLICES_PUBLISHED ->
          recorder.record(
              Type.WARNING,
              DRIVER_PUBLISHES_NO_SLICES,
              "DRA driver " + driver + " publishes no ResourceSlice: " + after.message());
      case Conditions.DEVICES_HEALTHY ->
          recorder.record(
              Type.WARNING, DEVICES_UNHEALTHY, "DRA driver " + driver + ": " + after.message());
      default -> {}
    }
  }

  private String unusable(String driver, Condition connected) {
    String what = "DRA driver " + driver + " is unusable (" + connected.message() + "); ";
    AgentProperties.Wipe wipe = properties.wipe();
    if (!wipe.enabled()) {
      return what + "ResourceSlice wipes are disabled, so its slices stay";
    }
    Optional<PendingWipe> pending = wipes.pendingFor(driver);
    if (pending.isEmpty()) {
      return what + "no deletion of its ResourceSlices is pending";
    }
    return what
        + (wipe.dryRun()
            ? "a dry run will log what it would delete at "
            : "its ResourceSlices on this node will be deleted at ")
        + time(pending.get().dueAt())
        + " unless it comes back";
  }

  private static String slices(int n) {
    return n + " ResourceSlice" + (n == 1 ? "" : "s");
  }

  private static String time(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  @Override
  public void start() {
    synchronized (lock) {
      if (running) {
        return;
      }
      running = true;
      recorder.start();
      if (!properties.events().enabled()) {
        log.info("Kubernetes Events are off (dra.agent.events.enabled=false)");
        return;
      }
      subscriptions.add(store.subscribe(this));
      subscriptions.add(wipes.subscribe(this));
      subscriptions.add(conditions.subscribe(this));
    }
  }

  @Override
  public void stop() {
    synchronized (lock) {
      running = false;
      subscriptions.forEach(Subscription::close);
      subscriptions.clear();
    }
    recorder.stop();
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
