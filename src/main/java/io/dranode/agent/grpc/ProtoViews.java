package io.dranode.agent.grpc;

import com.google.protobuf.Timestamp;
import io.dranode.agent.api.v1.Condition;
import io.dranode.agent.api.v1.ConditionStatus;
import io.dranode.agent.api.v1.ConnectionState;
import io.dranode.agent.api.v1.DeviceCounts;
import io.dranode.agent.api.v1.DeviceHealth;
import io.dranode.agent.api.v1.DeviceHealthEntry;
import io.dranode.agent.api.v1.Driver;
import io.dranode.agent.api.v1.DriverSlices;
import io.dranode.agent.api.v1.EventType;
import io.dranode.agent.api.v1.IgnoredSocket;
import io.dranode.agent.api.v1.Instance;
import io.dranode.agent.api.v1.ListCleanupsResponse;
import io.dranode.agent.api.v1.ListDeviceHealthResponse;
import io.dranode.agent.api.v1.ListPluginsResponse;
import io.dranode.agent.api.v1.ListResourceSlicesResponse;
import io.dranode.agent.api.v1.PendingWipe;
import io.dranode.agent.api.v1.PluginEvent;
import io.dranode.agent.api.v1.RejectedSocket;
import io.dranode.agent.api.v1.Slice;
import io.dranode.agent.api.v1.WipeRecord;
import io.dranode.agent.api.v1.WipeResult;
import io.dranode.agent.devicehealth.Health;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.view.Views;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The read model ({@link Views}) as messages of {@code dranode/agent/v1/inspection.proto}, field
 * for field. Absent values become the proto3 defaults (empty string, unset message), as the proto's
 * comments say.
 */
final class ProtoViews {

  private ProtoViews() {}

  static ListPluginsResponse plugins(Views.Plugins view) {
    ListPluginsResponse.Builder plugins =
        ListPluginsResponse.newBuilder().setNode(view.node()).setMode(view.mode());
    view.drivers().forEach(d -> plugins.addDrivers(driver(d)));
    view.rejected().forEach(r -> plugins.addRejected(rejected(r)));
    view.ignored().forEach(i -> plugins.addIgnored(ignored(i)));
    return plugins.build();
  }

  static Driver driver(Views.Driver view) {
    Driver.Builder driver =
        Driver.newBuilder()
            .setDriver(view.driver())
            .setUsable(view.usable())
            .setActiveEndpoint(orEmpty(view.activeEndpoint()))
            .setDeviceHealth(counts(view.deviceHealth()));
    view.instances().forEach(i -> driver.addInstances(instance(i)));
    view.conditions().forEach(c -> driver.addConditions(condition(c)));
    Views.PendingWipe pending = view.pendingWipe();
    if (pending != null) {
      driver.setPendingWipe(pendingWipe(pending));
    }
    return driver.build();
  }

  static Condition condition(io.dranode.agent.condition.Condition condition) {
    return Condition.newBuilder()
        .setType(condition.type())
        .setStatus(
            switch (condition.status()) {
              case TRUE -> ConditionStatus.CONDITION_STATUS_TRUE;
              case FALSE -> ConditionStatus.CONDITION_STATUS_FALSE;
              case UNKNOWN -> ConditionStatus.CONDITION_STATUS_UNKNOWN;
            })
        .setReason(condition.reason())
        .setMessage(condition.message())
        .setLastTransitionTime(timestamp(condition.lastTransitionTime()))
        .build();
  }

  static Instance instance(Views.Instance instance) {
    return Instance.newBuilder()
        .setEndpoint(instance.endpoint())
        .setRegistrationSocket(instance.registrationSocket())
        .setService(instance.service())
        .setHealthService(orEmpty(instance.healthService()))
        .setConnected(instance.connected())
        .setConnection(connection(instance.connection()))
        .setRegisteredAt(timestamp(instance.registeredAt()))
        .build();
  }

  static DeviceCounts counts(Map<Health, Integer> counts) {
    return DeviceCounts.newBuilder()
        .setHealthy(counts.getOrDefault(Health.HEALTHY, 0))
        .setUnhealthy(counts.getOrDefault(Health.UNHEALTHY, 0))
        .setUnknown(counts.getOrDefault(Health.UNKNOWN, 0))
        .build();
  }

  static RejectedSocket rejected(Views.RejectedSocket rejection) {
    return RejectedSocket.newBuilder()
        .setSocket(rejection.socket())
        .setDriver(orEmpty(rejection.driver()))
        .setReason(rejection.reason())
        .setAttempts(rejection.attempts())
        .setLastAttemptAt(timestamp(rejection.lastAttemptAt()))
        .setRetrying(rejection.retrying())
        .build();
  }

  static IgnoredSocket ignored(Views.IgnoredSocket ignored) {
    return IgnoredSocket.newBuilder()
        .setSocket(ignored.socket())
        .setType(ignored.type())
        .setName(ignored.name())
        .build();
  }

  static PluginEvent event(AgentEvent event) {
    Views.Event view = Views.Event.of(event);
    return PluginEvent.newBuilder()
        .setType(eventType(view.type()))
        .setTime(timestamp(view.time()))
        .setDriver(view.driver())
        .setEndpoint(orEmpty(view.endpoint()))
        .setDetail(view.detail())
        .build();
  }

  static ListCleanupsResponse cleanups(Views.Cleanups view) {
    ListCleanupsResponse.Builder cleanups = ListCleanupsResponse.newBuilder();
    view.pending().forEach(w -> cleanups.addPending(pendingWipe(w)));
    view.recent().forEach(w -> cleanups.addRecent(wipeRecord(w)));
    return cleanups.build();
  }

  static PendingWipe pendingWipe(Views.PendingWipe wipe) {
    return PendingWipe.newBuilder()
        .setDriver(wipe.driver())
        .setDueAt(timestamp(wipe.dueAt()))
        .setReason(wipe.reason())
        .setAttempts(wipe.attempts())
        .setLastError(orEmpty(wipe.lastError()))
        .setQuarantined(wipe.quarantined())
        .addAllTaintRules(wipe.taintRules())
        .build();
  }

  static WipeRecord wipeRecord(Views.Recent wipe) {
    return WipeRecord.newBuilder()
        .setDriver(wipe.driver())
        .setStartedAt(timestamp(wipe.startedAt()))
        .setFinishedAt(timestamp(wipe.finishedAt()))
        .setDeleted(wipe.deleted())
        .setResult(result(wipe.result()))
        .setDetail(wipe.detail())
        .build();
  }

  static ListResourceSlicesResponse slices(Views.Slices view) {
    ListResourceSlicesResponse.Builder slices =
        ListResourceSlicesResponse.newBuilder().setNode(view.node()).setSynced(view.synced());
    for (Views.DriverSlices driver : view.drivers()) {
      DriverSlices.Builder of =
          DriverSlices.newBuilder()
              .setDriver(driver.driver())
              .setServed(driver.served())
              .setKeptBecause(orEmpty(driver.keptBecause()));
      for (Views.Slice slice : driver.slices()) {
        Slice.Builder one =
            Slice.newBuilder()
                .setName(slice.name())
                .setDeviceCount(slice.deviceCount())
                .addAllSkipNodeOperations(slice.skipNodeOperations());
        if (slice.pool() != null) {
          one.setPool(slice.pool());
        }
        if (slice.generation() != null) {
          one.setGeneration(slice.generation());
        }
        of.addSlices(one);
      }
      slices.addDrivers(of);
    }
    return slices.build();
  }

  static ListDeviceHealthResponse devices(Views.Devices view) {
    ListDeviceHealthResponse.Builder devices = ListDeviceHealthResponse.newBuilder();
    view.devices().forEach(d -> devices.addDevices(device(d)));
    return devices.build();
  }

  static DeviceHealthEntry device(Views.Device entry) {
    DeviceHealthEntry.Builder device =
        DeviceHealthEntry.newBuilder()
            .setDriver(entry.driver())
            .setPool(entry.pool())
            .setDevice(entry.device())
            .setHealth(health(entry.health()))
            .setMessage(entry.message());
    Instant lastUpdated = entry.lastUpdated();
    if (lastUpdated != null) {
      device.setLastUpdated(timestamp(lastUpdated));
    }
    return device.build();
  }

  static ConnectionState connection(io.dranode.agent.plugin.ConnectionState state) {
    return switch (state) {
      case CONNECTING -> ConnectionState.CONNECTION_STATE_CONNECTING;
      case CONNECTED -> ConnectionState.CONNECTION_STATE_CONNECTED;
      case DISCONNECTED -> ConnectionState.CONNECTION_STATE_DISCONNECTED;
    };
  }

  static DeviceHealth health(Health health) {
    return switch (health) {
      case HEALTHY -> DeviceHealth.DEVICE_HEALTH_HEALTHY;
      case UNHEALTHY -> DeviceHealth.DEVICE_HEALTH_UNHEALTHY;
      case UNKNOWN -> DeviceHealth.DEVICE_HEALTH_UNKNOWN;
    };
  }

  static WipeResult result(io.dranode.agent.cleanup.WipeRecord.Result result) {
    return switch (result) {
      case DELETED -> WipeResult.WIPE_RESULT_DELETED;
      case CANCELLED -> WipeResult.WIPE_RESULT_CANCELLED;
      case FAILED -> WipeResult.WIPE_RESULT_FAILED;
      case DRY_RUN -> WipeResult.WIPE_RESULT_DRY_RUN;
    };
  }

  static EventType eventType(AgentEvent.Type type) {
    return switch (type) {
      case REGISTERED -> EventType.EVENT_TYPE_REGISTERED;
      case DEREGISTERED -> EventType.EVENT_TYPE_DEREGISTERED;
      case REJECTED -> EventType.EVENT_TYPE_REJECTED;
      case CONNECTED -> EventType.EVENT_TYPE_CONNECTED;
      case DISCONNECTED -> EventType.EVENT_TYPE_DISCONNECTED;
      case WIPE_SCHEDULED -> EventType.EVENT_TYPE_WIPE_SCHEDULED;
      case WIPE_CANCELLED -> EventType.EVENT_TYPE_WIPE_CANCELLED;
      case WIPED -> EventType.EVENT_TYPE_WIPED;
    };
  }

  static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder()
        .setSeconds(instant.getEpochSecond())
        .setNanos(instant.getNano())
        .build();
  }

  private static String orEmpty(@Nullable String value) {
    return value == null ? "" : value;
  }
}
