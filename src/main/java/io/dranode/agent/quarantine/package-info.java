/**
 * Opt-in quarantine of an unusable driver's devices during the grace period: a {@code
 * DeviceTaintRule} with a {@code NoSchedule} taint per pool of this node, so that the scheduler
 * stops placing pods on devices whose driver is gone, lifted when the driver is back or its slices
 * are wiped.
 */
@NullMarked
package io.dranode.agent.quarantine;

import org.jspecify.annotations.NullMarked;
