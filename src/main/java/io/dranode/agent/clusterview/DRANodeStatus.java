package io.dranode.agent.clusterview;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The status of a {@code DRANode}: what the agent knows of its node's drivers. Every list is
 * bounded (past a bound it is cut, a count says how much was left out, and the {@value
 * #LISTS_COMPLETE} condition says so), every text is bounded, and the whole document stays under
 * {@value #DOCUMENT_MAX_BYTES} bytes whatever the plugins send. Lists are sorted, so two documents
 * that say the same are equal. Times are RFC 3339 in whole seconds, as Kubernetes writes them.
 *
 * @param agent the agent that writes it
 * @param summary counts over the whole node, left-out entries included (the printer columns)
 * @param drivers every driver the node knows of: registered, or with a pending wipe, a refused
 *     socket or slices left; those not ready first when there are more than {@value #DRIVERS_MAX}
 * @param driversOmitted drivers left out past the bound; absent when none
 * @param rejectedSockets registration sockets whose plugin is not registered, and why
 * @param rejectedSocketsOmitted sockets left out past the bound; absent when none
 * @param conditions node-level: {@value #DRIVERS_READY} and {@value #LISTS_COMPLETE}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DRANodeStatus(
    @Required Agent agent,
    @Required Summary summary,
    @Required @Size(max = DRIVERS_MAX) List<Driver> drivers,
    @JsonPropertyDescription("Drivers left out past the bound") @Min(1)
        @Nullable Integer driversOmitted,
    @Required @Size(max = REJECTED_SOCKETS_MAX) List<RejectedSocket> rejectedSockets,
    @JsonPropertyDescription("Rejected sockets left out past the bound") @Min(1)
        @Nullable Integer rejectedSocketsOmitted,
    @Required @Size(max = NODE_CONDITIONS_MAX) List<Condition> conditions) {

  public static final int DRIVERS_MAX = 64;
  public static final int INSTANCES_MAX = 16;
  public static final int REJECTED_SOCKETS_MAX = 20;
  public static final int DRIVER_CONDITIONS_MAX = 8;
  public static final int NODE_CONDITIONS_MAX = 4;
  public static final int TAINT_RULES_MAX = 8;

  /** Bound of every message, reason text and error: the conditions' bound. */
  public static final int MESSAGE_MAX = 256;

  public static final int NAME_MAX = 253;
  public static final int DRIVER_NAME_MAX = 63;
  public static final int PATH_MAX = 256;
  public static final int SHORT_MAX = 64;
  public static final int QUOTED_MAX = 128;
  public static final int TIME_MAX = 32;

  /**
   * Bound of the serialized status; the object's metadata (name, owner reference, managed fields)
   * keeps the whole object well under the 64 KiB that operators and watches are promised.
   */
  public static final int DOCUMENT_MAX_BYTES = 56 * 1024;

  /** Node-level: every driver connected and publishing slices (the conditions' own). */
  public static final String DRIVERS_READY = "DriversReady";

  /** Node-level: True when every list is complete, False when one was cut at its bound. */
  public static final String LISTS_COMPLETE = "ListsComplete";

  public static final String ALL_LISTED = "AllListed";
  public static final String LISTS_TRUNCATED = "ListsTruncated";

  /**
   * The agent that writes the object.
   *
   * @param mode registrar or observer
   * @param version the agent's version
   * @param podName its pod, from the downward API; absent when not set
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Agent(
      @Required Mode mode,
      @Required @Size(max = SHORT_MAX) String version,
      @Size(max = NAME_MAX) @Nullable String podName) {}

  /** How the agent runs on the node. */
  public enum Mode {
    @JsonProperty("registrar")
    REGISTRAR,
    @JsonProperty("observer")
    OBSERVER
  }

  /**
   * Counts over the whole node, entries left out past a bound included.
   *
   * @param drivers drivers known on the node
   * @param usable drivers with a connected instance
   * @param notReady drivers with a False condition
   * @param rejectedSockets registration sockets whose plugin is not registered
   * @param pendingWipes drivers whose slices on the node are due to be deleted
   */
  public record Summary(
      @Required @Min(0) int drivers,
      @Required @Min(0) int usable,
      @Required @Min(0) int notReady,
      @Required @Min(0) int rejectedSockets,
      @Required @Min(0) int pendingWipes) {}

  /**
   * One driver.
   *
   * @param name the DRA driver name
   * @param usable whether an instance is connected
   * @param instances its registered instances (two during a rolling update), oldest first
   * @param instancesOmitted instances left out past the bound; absent when none
   * @param resourceSlices its ResourceSlices on this node
   * @param devices its devices by health, from the driver's health stream
   * @param pendingWipe the deletion of its slices that is due, if any
   * @param lastWipe the last deletion of its slices that ended, if any
   * @param keptBecause why its slices are never swept nor wiped here, if they are not
   * @param conditions Registered, Connected, SlicesPublished, DevicesHealthy
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Driver(
      @Required @Size(max = DRIVER_NAME_MAX) String name,
      @Required boolean usable,
      @Required @Size(max = INSTANCES_MAX) List<Instance> instances,
      @Min(1) @Nullable Integer instancesOmitted,
      @Required @Min(0) int resourceSlices,
      @Required Devices devices,
      @Nullable PendingWipe pendingWipe,
      @Nullable LastWipe lastWipe,
      @Size(max = MESSAGE_MAX) @Nullable String keptBecause,
      @Required @Size(max = DRIVER_CONDITIONS_MAX) List<Condition> conditions) {}

  /**
   * One registered instance of a driver.
   *
   * @param endpoint the path of its DRA service socket
   * @param service the DRA service the agent uses
   * @param healthService the device health service it advertises, if any
   * @param connection the agent's connection to its endpoint
   * @param registeredAt when the agent recorded it
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Instance(
      @Required @Size(max = PATH_MAX) String endpoint,
      @Required @Size(max = SHORT_MAX) String service,
      @Size(max = SHORT_MAX) @Nullable String healthService,
      @Required Connection connection,
      @Required @Size(max = TIME_MAX) String registeredAt) {}

  /** The agent's connection to an instance's endpoint. */
  public enum Connection {
    @JsonProperty("Connecting")
    CONNECTING,
    @JsonProperty("Connected")
    CONNECTED,
    @JsonProperty("Disconnected")
    DISCONNECTED
  }

  /** A driver's devices by the health its driver last reported (expired reports are unknown). */
  public record Devices(
      @Required @Min(0) int healthy,
      @Required @Min(0) int unhealthy,
      @Required @Min(0) int unknown) {}

  /**
   * The deletion of a driver's slices that is due.
   *
   * @param dueAt when it is due
   * @param attempts failed attempts so far
   * @param lastError the last failure, if any
   * @param quarantined whether its devices on this node are tainted NoSchedule until then
   * @param taintRules the DeviceTaintRules that do it, by name
   * @param taintRulesOmitted rules left out past the bound; absent when none
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PendingWipe(
      @Required @Size(max = TIME_MAX) String dueAt,
      @Required @Min(0) int attempts,
      @Size(max = MESSAGE_MAX) @Nullable String lastError,
      @Required boolean quarantined,
      @Required @Size(max = TAINT_RULES_MAX) List<@Size(max = NAME_MAX) String> taintRules,
      @Min(1) @Nullable Integer taintRulesOmitted) {}

  /**
   * The last deletion of a driver's slices that ended.
   *
   * @param finishedAt when it ended
   * @param deleted slices deleted (in a dry run: that would have been)
   * @param result how it ended
   */
  public record LastWipe(
      @Required @Size(max = TIME_MAX) String finishedAt,
      @Required @Min(0) int deleted,
      @Required WipeResult result) {}

  /** How a wipe ended. */
  public enum WipeResult {
    @JsonProperty("Deleted")
    DELETED,
    @JsonProperty("Cancelled")
    CANCELLED,
    @JsonProperty("Failed")
    FAILED,
    @JsonProperty("DryRun")
    DRY_RUN
  }

  /**
   * A registration socket whose plugin is not registered.
   *
   * @param socket its path, relative to the plugin registry folder
   * @param driver the driver name the plugin claimed, quoted as untrusted text; absent when it did
   *     not answer
   * @param reason why it was refused or could not be reached
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RejectedSocket(
      @Required @Size(max = PATH_MAX) String socket,
      @Size(max = QUOTED_MAX) @Nullable String driver,
      @Required @Size(max = MESSAGE_MAX) String reason) {}

  /**
   * A condition in the Kubernetes shape, as {@code io.dranode.agent.condition.Condition} has it.
   *
   * @param type what it is about
   * @param status True, False or Unknown
   * @param reason why, in one CamelCase word
   * @param message why, in words
   * @param lastTransitionTime when the status last changed
   */
  public record Condition(
      @Required @Size(max = SHORT_MAX) String type,
      @Required Status status,
      @Required @Size(max = SHORT_MAX) String reason,
      @Required @Size(max = MESSAGE_MAX) String message,
      @Required @Size(max = TIME_MAX) String lastTransitionTime) {}

  /** A condition's status. */
  public enum Status {
    @JsonProperty("True")
    TRUE,
    @JsonProperty("False")
    FALSE,
    @JsonProperty("Unknown")
    UNKNOWN
  }
}
