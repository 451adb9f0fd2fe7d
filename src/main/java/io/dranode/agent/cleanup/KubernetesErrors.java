package io.dranode.agent.cleanup;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** Short, caller-safe descriptions of Kubernetes client failures. */
final class KubernetesErrors {

  private KubernetesErrors() {}

  static String describe(KubernetesClientException e) {
    int code = e.getCode();
    String message =
        e.getStatus() != null && e.getStatus().getMessage() != null
            ? e.getStatus().getMessage()
            : rootMessage(e);
    return code > 0 ? "HTTP " + code + ": " + message : message;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
