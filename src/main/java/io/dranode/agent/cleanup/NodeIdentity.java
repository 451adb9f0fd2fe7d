package io.dranode.agent.cleanup;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.config.Phases;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * This node's identity: the configured name, and whether the API server knows a Node of that name
 * (and its uid, which Events and owned objects refer to). Wipes wait until it does: a wrong node
 * name must not lead to deleting anything.
 */
@Component
public class NodeIdentity implements SmartLifecycle {

  /** How often to look again while the Node is not confirmed; never once it is. */
  static final Duration RECHECK = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(NodeIdentity.class);

  private final KubernetesClient client;
  private final Clock clock;
  private final String nodeName;
  private final AgentScheduler scheduler;
  private final Object lock = new Object();
  private AgentScheduler.@Nullable Cancellable next; // guarded by lock
  private volatile boolean running;
  private volatile Status status = new Status(State.UNKNOWN, "not checked yet", null, null);

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
   * @param uid the Node's uid, once it was seen
   */
  public record Status(
      State state, String detail, @Nullable Instant checkedAt, @Nullable String uid) {}

  public NodeIdentity(
      KubernetesClient client, Clock clock, AgentProperties properties, AgentScheduler scheduler) {
    this.client = client;
    this.clock = clock;
    this.nodeName = properties.nodeName();
    this.scheduler = scheduler;
  }

  @Override
  public void start() {
    synchronized (lock) {
      running = true;
      next = scheduler.schedule(this::checkUntilPresent, clock.instant());
    }
  }

  private void checkUntilPresent() {
    if (!running || check().state() == State.PRESENT) {
      return;
    }
    synchronized (lock) {
      if (running) {
        next = scheduler.schedule(this::checkUntilPresent, clock.instant().plus(RECHECK));
      }
    }
  }

  @Override
  public void stop() {
    synchronized (lock) {
      running = false;
      if (next != null) {
        next.cancel();
        next = null;
      }
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return Phases.KUBERNETES;
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
              ? new Status(
                  State.MISSING, "Node " + nodeName + " does not exist", clock.instant(), null)
              : new Status(
                  State.PRESENT,
                  "Node " + nodeName + " exists",
                  clock.instant(),
                  node.getMetadata().getUid());
    } catch (KubernetesClientException e) {
      next =
          new Status(
              State.API_ERROR,
              "cannot read Node " + nodeName + ": " + KubernetesErrors.describe(e),
              clock.instant(),
              status.uid());
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
