package io.dranode.agent.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the agent sends in each review, and how it reads each kind of answer, at the mock API. */
class KubernetesReviewApiTest {

  final ReviewApiServer server = new ReviewApiServer();
  final KubernetesClient client = noRetries(server.url());

  @AfterEach
  void close() {
    client.close();
    server.close();
  }

  @Test
  void aValidTokenNamesItsUser() {
    server.token("good", "system:serviceaccount:monitoring:prometheus");

    TokenReviewResult result = new KubernetesReviewApi(client, List.of()).reviewToken("good");

    assertThat(result)
        .isEqualTo(
            new TokenReviewResult.Authenticated(
                new User(
                    "system:serviceaccount:monitoring:prometheus",
                    "uid-system:serviceaccount:monitoring:prometheus",
                    List.of(
                        "system:authenticated",
                        "group-of-system:serviceaccount:monitoring:prometheus"),
                    Map.of("authentication.kubernetes.io/node-name", List.of("worker")))));
    assertThat(server.tokenQuestions())
        .singleElement()
        .satisfies(q -> assertThat(q.getSpec().getToken()).isEqualTo("good"));
  }

  @Test
  void anInvalidTokenIsRejectedWithTheServersReason() {
    assertThat(new KubernetesReviewApi(client, List.of()).reviewToken("bad"))
        .isEqualTo(new TokenReviewResult.Rejected("invalid bearer token"));
  }

  @Test
  void theConfiguredAudiencesAreAskedForAndChecked() {
    server.token("good", "reader");
    KubernetesReviewApi api = new KubernetesReviewApi(client, List.of("dra-node-agent"));

    assertThat(api.reviewToken("good")).isInstanceOf(TokenReviewResult.Authenticated.class);
    assertThat(server.tokenQuestions().get(0).getSpec().getAudiences())
        .containsExactly("dra-node-agent");

    server.answerAudiences(List.of("https://kubernetes.default.svc"));
    assertThat(api.reviewToken("good"))
        .isInstanceOfSatisfying(
            TokenReviewResult.Rejected.class,
            r -> assertThat(r.reason()).contains("not for [dra-node-agent]"));
  }

  @Test
  void accessIsAskedForTheNonResourcePathAndVerb() {
    server.grant("reader", "/api/v1/*");
    KubernetesReviewApi api = new KubernetesReviewApi(client, List.of());
    User reader = new User("reader", "uid-1", List.of("g1", "g2"), Map.of("k", List.of("v")));

    AccessReviewResult allowed =
        api.reviewAccess(new AccessRequest(reader, "/api/v1/plugins", "get"));
    AccessReviewResult denied =
        api.reviewAccess(new AccessRequest(reader, "/actuator/prometheus", "get"));

    assertThat(allowed).isEqualTo(new AccessReviewResult(true, "granted by the test"));
    assertThat(denied.allowed()).isFalse();
    assertThat(server.accessQuestions().get(0).getSpec())
        .satisfies(
            spec -> {
              assertThat(spec.getUser()).isEqualTo("reader");
              assertThat(spec.getUid()).isEqualTo("uid-1");
              assertThat(spec.getGroups()).containsExactly("g1", "g2");
              assertThat(spec.getExtra()).containsEntry("k", List.of("v"));
              assertThat(spec.getNonResourceAttributes().getPath()).isEqualTo("/api/v1/plugins");
              assertThat(spec.getNonResourceAttributes().getVerb()).isEqualTo("get");
              assertThat(spec.getResourceAttributes()).isNull();
            });
  }

  @Test
  void anAgentWithoutTheRbacToReviewIsToldWhatItNeeds() {
    server.fail(403);

    assertThatThrownBy(() -> new KubernetesReviewApi(client, List.of()).reviewToken("t"))
        .isInstanceOf(ReviewFailure.class)
        .hasMessageContaining("HTTP 403")
        .hasMessageContaining("tokenreviews and subjectaccessreviews create")
        .hasMessageNotContaining(server.url());
  }

  @Test
  void anApiServerThatIsGoneCannotBeReached() {
    server.close();

    assertThatThrownBy(() -> new KubernetesReviewApi(client, List.of()).reviewToken("t"))
        .isInstanceOf(ReviewFailure.class)
        .hasMessage("the Kubernetes API server could not be reached for a TokenReview");
  }

  /** Configured as the agent's client is: no retries of its own. */
  static KubernetesClient noRetries(String url) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(url)
            .withRequestRetryBackoffLimit(0)
            .withHttp2Disable(true)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
