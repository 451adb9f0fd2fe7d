/** Actuator integration: liveness and readiness, health components, info, Prometheus metrics. */
@NullMarked
package io.dranode.agent.actuate;

import org.jspecify.annotations.NullMarked;
