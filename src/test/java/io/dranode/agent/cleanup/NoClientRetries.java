package io.dranode.agent.cleanup;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.function.Consumer;

/**
 * Turns off the Kubernetes client's own retries of 5xx/429/I-O failures, so that a fault reaches
 * the agent's backoff (driven by the manual scheduler) on the first attempt instead of being
 * retried in real time inside the client.
 */
public final class NoClientRetries implements Consumer<KubernetesClientBuilder> {

  @Override
  public void accept(KubernetesClientBuilder builder) {
    builder.editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig();
  }
}
