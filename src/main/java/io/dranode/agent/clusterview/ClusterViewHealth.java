package io.dranode.agent.clusterview;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The {@code clusterView} health component: whether the node's DRANode is written. It informs and
 * never fails the agent: without the CRD, or with writes refused, it is {@code UNKNOWN}, which
 * ranks below {@code UP} in the overall health and is part of no probe.
 */
@Component("clusterViewHealthIndicator")
class ClusterViewHealth implements HealthIndicator {

  private final DRANodeWriter writer;

  ClusterViewHealth(DRANodeWriter writer) {
    this.writer = writer;
  }

  @Override
  public Health health() {
    ClusterViewState state = writer.state();
    Health.Builder health =
        switch (state.kind()) {
          case STARTING, WRITTEN, DISABLED -> Health.up();
          case FAILING, NOT_SERVED, REFUSED -> Health.unknown();
        };
    health.withDetail("state", state.kind().name()).withDetail("detail", state.detail());
    if (state.lastWritten() != null) {
      health.withDetail("lastWritten", state.lastWritten().toString());
    }
    if (state.nextAttempt() != null) {
      health.withDetail("nextAttempt", state.nextAttempt().toString());
    }
    return health.build();
  }
}
