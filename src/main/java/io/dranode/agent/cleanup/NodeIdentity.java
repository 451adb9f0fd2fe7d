package io.dranode.agent.cleanup;

import io.dranode.agent.config.AgentProperties;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * This node's identity: the configured name, and whether the API server knows a Node of that name.
 * Wipes wait until it does (a wrong node name must not lead to deleting anything).
 */
@Component
public class NodeIdentity {

  private static final Logger log = LoggerFactory.getLogger(NodeIdentity.class);

  private final KubernetesClient client;
  private final Clock clock;
  private final String nodeName;
  private volatile Status status = new Status(State.UNKNOWN, "not checked yet", null);

  /** What is known of the Node object. */
  public enum State {
    UNKNOWN,
    PRESENT,
    MISSING,
    API_ERROR
  }

  /**
   * The last check.
   *
   * @param state its outcome
   * @param detail a human-readable explanation
   * @param checkedAt when it was made; null before the first check
   */
  public record Status(State state, String detail, @Nullable Instant checkedAt) {}

  public NodeIdentity(KubernetesClient client, Clock clock, AgentProperties properties) {
    this.client = client;
    this.clock = clock;
    this.nodeName = properties.nodeName();
  }

  public String nodeName() {
    return nodeName;
  }

  public Status status() {
    return status;
  }

  /** True when the Node is known to exist; checks the API server until it is. */
  public boolean confirm() {
    if (status.state() == State.PRESENT) {
      return true;
    }
    return check().state() == State.PRESENT;
  }

  /** Asks the API server for the Node. Never throws. */
  public Status check() {
    Status next;
    try {
      Node node = client.nodes().withName(nodeName).get();
      next =
          node == null
              ? new Status(State.MISSING, "Node " + nodeName + " does not exist", clock.instant())
              : new Status(State.PRESENT, "Node " + nodeName + " exists", clock.instant());
    } catch (KubernetesClientException e) {
      next =
          new Status(
              State.API_ERROR,
              "cannot read Node " + nodeName + ": " + KubernetesErrors.describe(e),
              clock.instant());
    }
    if (next.state() != status.state()) {
      if (next.state() == State.PRESENT) {
        log.info("{}", next.detail());
      } else {
        log.warn("{}; ResourceSlice wipes wait until it can be confirmed", next.detail());
      }
    }
    status = next;
    return next;
  }
}
