/**
 * The cluster-wide view: one {@code DRANode} object per node ({@code dra.dranode.io/v1alpha1},
 * named like the node), whose status says what the agent knows of the node's drivers, written on
 * change with server-side apply and shown by {@code GET /api/v1/node}.
 */
@NullMarked
package io.dranode.agent.clusterview;

import org.jspecify.annotations.NullMarked;
