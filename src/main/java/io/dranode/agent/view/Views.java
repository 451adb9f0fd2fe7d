package io.dranode.agent.view;

import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.condition.Condition;
import io.dranode.agent.devicehealth.Health;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.plugin.ConnectionState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The shapes of the read model. Field names are the JSON names of the REST API and, in snake case,
 * the field names of {@code dranode/agent/v1/inspection.proto}; a test keeps the two in step.
 */
public final class Views {

  private Views() {}

  /** {@code GET /api/v1/plugins}, {@code ListPlugins}. */
  public record Plugins(
      String node,
      String mode,
      List<Driver> drivers,
      List<RejectedSocket> rejected,
      List<IgnoredSocket> ignored) {}

  /**
   * One driver: {@code GET /api/v1/plugins/{driver}}, {@code GetPlugin}. A driver without instances
   * is shown while a pending wipe, a refused socket or slices of it remain.
   */
  public record Driver(
      String driver,
      boolean usable,
      @Nullable String activeEndpoint,
      List<Instance> instances,
      @Nullable PendingWipe pendingWipe,
      Map<Health, Integer> deviceHealth,
      List<Condition> conditions) {}

  public record Instance(
      String endpoint,
      String registrationSocket,
      String service,
      @Nullable String healthService,
      boolean connected,
      ConnectionState connection,
      Instant registeredAt) {}

  /**
   * A wipe that is due or being retried.
   *
   * @param quarantined whether the driver's devices on this node are tainted {@code NoSchedule}
   *     meanwhile ({@code dra.agent.quarantine.enabled})
   * @param taintRules the DeviceTaintRules that do it
   */
  public record PendingWipe(
      String driver,
      Instant dueAt,
      String reason,
      int attempts,
      @Nullable String lastError,
      boolean quarantined,
      List<String> taintRules) {}

  /** A registration socket whose plugin is not registered, and why. */
  public record RejectedSocket(
      String socket,
      @Nullable String driver,
      String reason,
      int attempts,
      Instant lastAttemptAt,
      boolean retrying) {}

  /** A socket of another plugin type, seen in observer mode. */
  public record IgnoredSocket(String socket, String type, String name) {}

  /** {@code GET /api/v1/cleanups}, {@code ListCleanups}. */
  public record Cleanups(List<PendingWipe> pending, List<Recent> recent) {}

  public record Recent(
      String driver,
      Instant startedAt,
      Instant finishedAt,
      int deleted,
      WipeRecord.Result result,
      String detail) {}

  /** {@code GET /api/v1/resourceslices}, {@code ListResourceSlices}. */
  public record Slices(String node, boolean synced, List<DriverSlices> drivers) {}

  /**
   * @param served whether a usable driver serves these slices
   * @param keptBecause why they are never swept nor wiped although the driver may have no instance
   *     here; null when nothing exempts them
   */
  public record DriverSlices(
      String driver, boolean served, @Nullable String keptBecause, List<Slice> slices) {}

  /**
   * @param skipNodeOperations the node operations the slice declares its devices need not
   *     (KEP-5945); empty for a slice that needs its driver's kubelet plugin
   */
  public record Slice(
      String name,
      @Nullable String pool,
      @Nullable Long generation,
      int deviceCount,
      List<String> skipNodeOperations) {}

  /** {@code GET /api/v1/devices/health}, {@code ListDeviceHealth}. */
  public record Devices(List<Device> devices) {}

  public record Device(
      String driver,
      String pool,
      String device,
      Health health,
      @Nullable Instant lastUpdated,
      String message) {}

  /** One activity event: an SSE event's data, a {@code WatchPlugins} message. */
  public record Event(
      AgentEvent.Type type, Instant time, String driver, @Nullable String endpoint, String detail) {
    public static Event of(AgentEvent event) {
      return new Event(
          event.type(), event.time(), event.driver(), event.endpoint(), event.detail());
    }
  }
}
