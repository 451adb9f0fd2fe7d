package io.dranode.agent.grpc;

import com.google.protobuf.Timestamp;
import io.dranode.agent.api.v1.Driver;
import io.dranode.agent.api.v1.Instance;
import io.dranode.agent.api.v1.PluginEvent;
import io.dranode.agent.api.v1.Rejected;
import io.dranode.agent.cleanup.PendingWipe;
import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.devicehealth.DeviceHealthEntry;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.Rejection;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The agent's views as messages of {@code dranode/agent/v1/inspection.proto}. Absent values become
 * the proto3 defaults (empty string, unset timestamp), as the proto's comments say.
 */
final class ProtoViews {

  private ProtoViews() {}

  static Driver driver(DriverView view, Optional<PendingWipe> pendingWipe) {
    Driver.Builder driver =
        Driver.newBuilder()
            .setDriver(view.driver())
            .setUsable(view.usable())
            .setActiveEndpoint(orEmpty(view.activeEndpoint()));
    view.instances().forEach(i -> driver.addInstances(instance(i)));
    pendingWipe.ifPresent(w -> driver.setPendingWipeDueAt(timestamp(w.dueAt())));
    return driver.build();
  }

  static Instance instance(PluginInstance instance) {
    return Instance.newBuilder()
        .setEndpoint(instance.endpoint())
        .setRegistrationSocket(instance.registrationSocket().toString())
        .setService(instance.service())
        .setHealthService(orEmpty(instance.healthService()))
        .setConnected(instance.connected())
        .setRegisteredAt(timestamp(instance.registeredAt()))
        .build();
  }

  static Rejected rejected(Rejection rejection) {
    return Rejected.newBuilder()
        .setSocket(rejection.socket().toString())
        .setDriver(orEmpty(rejection.driver()))
        .setReason(rejection.reason())
        .setAttempts(rejection.attempts())
        .setLastAttemptAt(timestamp(rejection.lastAttemptAt()))
        .build();
  }

  static PluginEvent event(AgentEvent event) {
    return PluginEvent.newBuilder()
        .setType(event.type().wireName())
        .setTime(timestamp(event.time()))
        .setDriver(event.driver())
        .setEndpoint(orEmpty(event.endpoint()))
        .setDetail(event.detail())
        .build();
  }

  static io.dranode.agent.api.v1.PendingWipe pendingWipe(PendingWipe wipe) {
    return io.dranode.agent.api.v1.PendingWipe.newBuilder()
        .setDriver(wipe.driver())
        .setDueAt(timestamp(wipe.dueAt()))
        .setReason(wipe.reason())
        .build();
  }

  static io.dranode.agent.api.v1.WipeRecord wipeRecord(WipeRecord wipe) {
    return io.dranode.agent.api.v1.WipeRecord.newBuilder()
        .setDriver(wipe.driver())
        .setStartedAt(timestamp(wipe.startedAt()))
        .setFinishedAt(timestamp(wipe.finishedAt()))
        .setDeleted(wipe.deleted())
        .setResult(wipe.result().wireName())
        .build();
  }

  static io.dranode.agent.api.v1.DeviceHealthEntry device(DeviceHealthEntry entry) {
    io.dranode.agent.api.v1.DeviceHealthEntry.Builder device =
        io.dranode.agent.api.v1.DeviceHealthEntry.newBuilder()
            .setDriver(entry.driver())
            .setPool(entry.pool())
            .setDevice(entry.device())
            .setHealth(entry.health().name())
            .setMessage(entry.message());
    Instant lastUpdated = entry.lastUpdated();
    if (lastUpdated != null) {
      device.setLastUpdated(timestamp(lastUpdated));
    }
    return device.build();
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
