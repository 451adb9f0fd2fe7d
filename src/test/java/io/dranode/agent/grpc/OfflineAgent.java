package io.dranode.agent.grpc;

/**
 * Settings that let the whole agent start in a test without an API server: fabric8 reads them from
 * system properties when the client is built, so they must be set before the context starts.
 */
final class OfflineAgent {

  private OfflineAgent() {}

  /** Points the Kubernetes client at a port where nothing listens, and at no kubeconfig. */
  static void noApiServer() {
    System.setProperty("kubernetes.master", "https://127.0.0.1:1");
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
  }
}
