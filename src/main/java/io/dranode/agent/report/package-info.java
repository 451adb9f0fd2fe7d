/**
 * What the agent tells the cluster besides wipes: Kubernetes Events on its Node, deduplicated,
 * coalesced and budgeted, written best effort off every thread that does the agent's real work.
 */
@NullMarked
package io.dranode.agent.report;

import org.jspecify.annotations.NullMarked;
