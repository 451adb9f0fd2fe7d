package io.dranode.agent.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.api.v1.ListPluginsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** No API server to ask: every call fails closed with 503 / UNAVAILABLE, and the probes answer. */
class ApiServerUnreachableTest {

  static SecuredAgent agent;

  @BeforeAll
  static void start() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    agent = new SecuredAgent(new ReviewApiServer(), "http://127.0.0.1:" + closed);
    agent.start();
  }

  @AfterAll
  static void stop() throws Exception {
    agent.close();
  }

  @Test
  void restCallsAre503AndSaySo() throws Exception {
    HttpResponse<String> response = agent.get("/api/v1/plugins", "some-token");

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body())
        .contains("the Kubernetes API server could not be reached for a TokenReview")
        .doesNotContain("some-token");
    assertThat(agent.getManagement("/actuator/prometheus", "some-token").statusCode())
        .isEqualTo(503);
  }

  @Test
  void grpcCallsAreUnavailable() {
    try {
      agent.inspection("some-token").listPlugins(ListPluginsRequest.getDefaultInstance());
      throw new AssertionError("the call was let through");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(e.getStatus().getDescription()).contains("could not be reached");
    }
  }

  @Test
  void probesAndGrpcHealthStayUp() throws Exception {
    assertThat(agent.getManagement("/actuator/health/liveness", null).statusCode()).isEqualTo(200);
    assertThat(agent.getManagement("/actuator/health/readiness", null).statusCode()).isEqualTo(200);
    assertThat(
            HealthGrpc.newBlockingStub(agent.channel())
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance())
                .getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }
}
