package io.dranode.agent.grpc;

import io.dranode.agent.api.v1.InspectionGrpc;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Makes the standard {@code grpc.health.v1.Health} status follow the application's readiness: the
 * server ("") and the inspection service are SERVING while the agent accepts traffic, NOT_SERVING
 * before that and from the moment it starts shutting down. Spring gRPC's own schedule would set ""
 * from the overall actuator health instead; {@code
 * spring.grpc.server.health.include-overall-health=false} leaves "" to us.
 */
@Component
class GrpcReadiness {

  private static final Logger log = LoggerFactory.getLogger(GrpcReadiness.class);

  private final @Nullable HealthStatusManager health;

  GrpcReadiness(ObjectProvider<HealthStatusManager> health) {
    this.health = health.getIfAvailable();
    set(ServingStatus.NOT_SERVING); // until Boot says the application is ready
  }

  @EventListener
  void readinessChanged(AvailabilityChangeEvent<ReadinessState> event) {
    set(
        event.getState() == ReadinessState.ACCEPTING_TRAFFIC
            ? ServingStatus.SERVING
            : ServingStatus.NOT_SERVING);
  }

  private void set(ServingStatus status) {
    HealthStatusManager manager = health;
    if (manager == null) {
      return; // spring.grpc.server.health.enabled=false
    }
    manager.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
    manager.setStatus(InspectionGrpc.SERVICE_NAME, status);
    log.debug("gRPC health is {}", status);
  }
}
