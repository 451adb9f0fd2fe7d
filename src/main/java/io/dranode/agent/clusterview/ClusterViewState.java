package io.dranode.agent.clusterview;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Where the writing of the node's {@code DRANode} stands, for the {@code clusterView} health
 * component and the logs.
 *
 * @param kind what the last attempt came to
 * @param detail why, in words
 * @param lastWritten when the status was last written, if ever
 * @param nextAttempt when the agent tries again, if it waits to
 */
record ClusterViewState(
    Kind kind, String detail, @Nullable Instant lastWritten, @Nullable Instant nextAttempt) {

  enum Kind {
    /** Nothing written yet: the agent is starting. */
    STARTING,
    /** The object has the agent's view (or will in at most one min-interval). */
    WRITTEN,
    /** Writes fail and are retried with backoff. */
    FAILING,
    /** The API server does not serve DRANode objects: the CRD is not installed. */
    NOT_SERVED,
    /** The API server refuses the writes (RBAC, the admission policy, validation). */
    REFUSED,
    /** Switched off by configuration. */
    DISABLED
  }

  static ClusterViewState initial() {
    return new ClusterViewState(Kind.STARTING, "not written yet", null, null);
  }

  static ClusterViewState disabled(String why) {
    return new ClusterViewState(Kind.DISABLED, "not written: " + why, null, null);
  }

  static ClusterViewState written(Instant at) {
    return new ClusterViewState(Kind.WRITTEN, "up to date", at, null);
  }

  static ClusterViewState failing(String detail, Instant next, ClusterViewState before) {
    return new ClusterViewState(
        Kind.FAILING,
        "writing the DRANode failed (" + detail + "); retrying with backoff",
        before.lastWritten(),
        next);
  }

  static ClusterViewState notServed(String detail, Instant next, ClusterViewState before) {
    return new ClusterViewState(
        Kind.NOT_SERVED,
        "the API server does not serve dranodes."
            + DRANode.GROUP
            + " ("
            + detail
            + "): is the CRD installed? The agent works on without the cluster-wide view and looks"
            + " again later",
        before.lastWritten(),
        next);
  }

  static ClusterViewState refused(String detail, Instant next, ClusterViewState before) {
    return new ClusterViewState(
        Kind.REFUSED,
        "the API server refuses the DRANode write ("
            + detail
            + "): check the chart's RBAC and admission policy; the agent looks again later",
        before.lastWritten(),
        next);
  }

  /** A log line. */
  String describe() {
    return "DRANode: " + detail + (nextAttempt == null ? "" : "; next attempt at " + nextAttempt);
  }
}
