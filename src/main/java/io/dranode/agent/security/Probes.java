package io.dranode.agent.security;

import io.grpc.health.v1.HealthGrpc;
import java.util.Set;

/**
 * What stays open in {@code kubernetes} mode, and why: the kubelet probes the pod without a token
 * (it has none to give), and a probe must answer even when the API server does not.
 */
final class Probes {

  /** The HTTP probe paths the chart's liveness, readiness and startup probes use. */
  static final Set<String> HTTP_PATHS =
      Set.of("/actuator/health/liveness", "/actuator/health/readiness");

  /** The standard gRPC health service, for gRPC health checkers. */
  static final String GRPC_SERVICE = HealthGrpc.SERVICE_NAME;

  private Probes() {}
}
