package io.dranode.agent.web;

import io.dranode.agent.cleanup.PendingWipe;
import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.IgnoredSocket;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.Rejection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The JSON shapes of the REST API, built from the store and the cleanup. */
final class ApiViews {

  private ApiViews() {}

  record PluginsResponse(
      String node,
      String mode,
      List<DriverResponse> drivers,
      List<RejectedResponse> rejected,
      List<IgnoredResponse> ignored) {}

  record IgnoredResponse(String socket, String type, String name) {
    static IgnoredResponse of(IgnoredSocket ignored) {
      return new IgnoredResponse(ignored.socket().toString(), ignored.type(), ignored.name());
    }
  }

  record DriverResponse(
      String driver,
      boolean usable,
      @Nullable String activeEndpoint,
      List<InstanceResponse> instances,
      @Nullable PendingWipeResponse pendingWipe,
      Map<String, Integer> deviceHealth) {

    static DriverResponse of(
        DriverView view, @Nullable PendingWipe pending, Map<String, Integer> deviceHealth) {
      return new DriverResponse(
          view.driver(),
          view.usable(),
          view.activeEndpoint(),
          view.instances().stream().map(InstanceResponse::of).toList(),
          pending == null ? null : new PendingWipeResponse(pending.dueAt(), pending.reason()),
          deviceHealth);
    }
  }

  record InstanceResponse(
      String endpoint,
      String registrationSocket,
      String service,
      @Nullable String healthService,
      boolean connected,
      String connection,
      Instant registeredAt) {

    static InstanceResponse of(PluginInstance instance) {
      return new InstanceResponse(
          instance.endpoint(),
          instance.registrationSocket().toString(),
          instance.service(),
          instance.healthService(),
          instance.connected(),
          instance.connection().name(),
          instance.registeredAt());
    }
  }

  record PendingWipeResponse(Instant dueAt, String reason) {}

  record RejectedResponse(
      String socket,
      @Nullable String driver,
      String reason,
      int attempts,
      Instant lastAttemptAt,
      boolean retrying) {

    static RejectedResponse of(Rejection rejection) {
      return new RejectedResponse(
          rejection.socket().toString(),
          rejection.driver(),
          rejection.reason(),
          rejection.attempts(),
          rejection.lastAttemptAt(),
          rejection.retrying());
    }
  }

  record CleanupsResponse(List<PendingResponse> pending, List<RecentResponse> recent) {}

  record PendingResponse(
      String driver, Instant dueAt, String reason, int attempts, @Nullable String lastError) {

    static PendingResponse of(PendingWipe wipe) {
      return new PendingResponse(
          wipe.driver(), wipe.dueAt(), wipe.reason(), wipe.attempts(), wipe.lastError());
    }
  }

  record RecentResponse(
      String driver,
      Instant startedAt,
      Instant finishedAt,
      int deleted,
      String result,
      String detail) {

    static RecentResponse of(WipeRecord record) {
      return new RecentResponse(
          record.driver(),
          record.startedAt(),
          record.finishedAt(),
          record.deleted(),
          record.result().wireName(),
          record.detail());
    }
  }

  record SlicesResponse(String node, boolean synced, List<DriverSlices> drivers) {}

  record DriverSlices(String driver, boolean served, List<SliceResponse> slices) {}

  record SliceResponse(
      String name, @Nullable String pool, @Nullable Long generation, int deviceCount) {}
}
