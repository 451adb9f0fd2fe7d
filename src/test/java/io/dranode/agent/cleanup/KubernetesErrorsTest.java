package io.dranode.agent.cleanup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * What users read in a pending wipe's {@code lastError} and in the {@code kubernetesApi} health.
 */
class KubernetesErrorsTest {

  @Test
  void aStatusFromTheServerIsShownWithItsCode() {
    KubernetesClientException e =
        new KubernetesClientException(
            new StatusBuilder().withCode(503).withMessage("apiserver is shutting down").build());

    assertThat(KubernetesErrors.describe(e)).isEqualTo("HTTP 503: apiserver is shutting down");
  }

  /** The JDK client's chain for a closed port ends in a bare ClosedChannelException. */
  @Test
  void aRefusedConnectionIsNamedAsSuch() {
    ConnectException refused = new ConnectException();
    refused.initCause(new ClosedChannelException());
    KubernetesClientException e =
        new KubernetesClientException("Operation: [list] failed", new CompletionException(refused));

    assertThat(KubernetesErrors.describe(e))
        .isEqualTo("cannot connect to the API server (ConnectException)");
  }

  @Test
  void otherwiseTheInnermostCauseIsShown() {
    KubernetesClientException e =
        new KubernetesClientException(
            "Operation: [list] failed",
            new CompletionException(new HttpTimeoutException("request timed out")));

    assertThat(KubernetesErrors.describe(e)).isEqualTo("HttpTimeoutException: request timed out");
  }
}
