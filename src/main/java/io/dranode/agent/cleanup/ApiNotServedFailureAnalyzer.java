package io.dranode.agent.cleanup;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Says at start-up which API is missing and what to do, without a stack trace to read. */
public final class ApiNotServedFailureAnalyzer
    extends AbstractFailureAnalyzer<ApiNotServedException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, ApiNotServedException cause) {
    return new FailureAnalysis(
        "The agent cannot run against this cluster: " + cause.getMessage() + ".",
        "Run it on Kubernetes 1.34 or newer, where resource.k8s.io/v1 is served (the Helm chart"
            + " checks this with kubeVersion), or point it at that cluster's API server.",
        cause);
  }
}
