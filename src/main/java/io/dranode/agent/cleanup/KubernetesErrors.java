package io.dranode.agent.cleanup;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import java.time.Duration;

/** Short, caller-safe descriptions of Kubernetes client failures. */
public final class KubernetesErrors {

  private KubernetesErrors() {}

  public static String describe(KubernetesClientException e) {
    int code = e.getCode();
    String message =
        e.getStatus() != null && e.getStatus().getMessage() != null
            ? e.getStatus().getMessage()
            : rootMessage(e);
    return code > 0 ? "HTTP " + code + ": " + message : message;
  }

  /**
   * The wait the API server asked for: {@code details.retryAfterSeconds} of its Status, which it
   * sends with 429 Too Many Requests (API Priority and Fairness) and with some 5xx answers, beside
   * the {@code Retry-After} header. Zero when absent or nonsensical.
   */
  public static Duration retryAfter(KubernetesClientException e) {
    Status status = e.getStatus();
    if (status == null || status.getDetails() == null) {
      return Duration.ZERO;
    }
    Integer seconds = status.getDetails().getRetryAfterSeconds();
    return seconds == null || seconds <= 0 ? Duration.ZERO : Duration.ofSeconds(seconds);
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
