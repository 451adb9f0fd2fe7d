package io.dranode.agent.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * {@code none}, the default of {@code java -jar}: plain HTTP, no token asked for, none of the
 * machinery of {@code kubernetes} mode created, and one warning line naming every port that listens
 * beyond loopback.
 */
@ExtendWith(OutputCaptureExtension.class)
class SecurityModeNoneTest {

  SecuredAgent agent;

  @BeforeEach
  void prepare() throws Exception {
    agent = new SecuredAgent();
  }

  @AfterEach
  void stop() throws Exception {
    agent.close();
  }

  @Test
  void nothingIsAskedAndTheOpenPortsAreNamedInOneWarning(CapturedOutput output) throws Exception {
    agent.start(
        "--dra.agent.security.mode=none",
        "--server.address=127.0.0.1",
        "--management.server.port=0");

    HttpResponse<String> plugins =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + agent.port() + "/api/v1/plugins"))
                    .timeout(Duration.ofSeconds(20))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertThat(plugins.statusCode()).isEqualTo(200);
    assertThat(agent.api.reviews()).isEmpty();
    assertThat(agent.context().getBeanNamesForType(AccessReviews.class)).isEmpty();
    assertThat(agent.context().getBeanNamesForType(BearerTokenFilter.class)).isEmpty();
    assertThat(agent.context().getBeanNamesForType(BearerTokenInterceptor.class)).isEmpty();
    assertThat(agent.context().getBeanNamesForType(AgentCertificates.class)).isEmpty();
    assertThat(agent.context().containsBean("reviewExecutor")).isFalse();
    assertThat(agent.bean(OpenDoorWarning.class).open())
        .containsExactly(
            "management port " + agent.managementPort(), "gRPC port " + agent.grpcPort());
    assertThat(output.getOut())
        .containsOnlyOnce("dra.agent.security.mode=none, and the management port")
        .contains("gRPC port " + agent.grpcPort() + " listen beyond loopback");
  }

  @Test
  void onLoopbackOnlyThereIsNothingToWarnAbout(CapturedOutput output) throws Exception {
    agent.start(
        "--dra.agent.security.mode=none",
        "--server.address=127.0.0.1",
        "--spring.grpc.server.address=127.0.0.1");

    assertThat(agent.bean(OpenDoorWarning.class).open()).isEmpty();
    assertThat(output.getOut()).doesNotContain("listen beyond loopback");
  }
}
