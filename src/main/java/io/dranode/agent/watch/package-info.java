/**
 * Discovery: watches the kubelet's plugin registry folder (recursively, event-driven) and reports
 * registration sockets that appear, are re-created or disappear.
 */
@NullMarked
package io.dranode.agent.watch;

import org.jspecify.annotations.NullMarked;
