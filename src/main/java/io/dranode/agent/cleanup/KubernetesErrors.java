package io.dranode.agent.cleanup;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;

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

  /**
   * The innermost cause, except for a failed connection: the JDK client's innermost cause of a
   * refused connection is a bare {@code ClosedChannelException}, which says nothing to a reader.
   */
  private static String rootMessage(Throwable e) {
    Throwable root = e;
    Throwable connect = e instanceof ConnectException ? e : null;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
      if (connect == null && root instanceof ConnectException) {
        connect = root;
      }
    }
    if (connect != null) {
      return "cannot connect to the API server (" + name(connect) + ")";
    }
    return name(root);
  }

  private static String name(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
