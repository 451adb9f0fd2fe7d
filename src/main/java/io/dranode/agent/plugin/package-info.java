/**
 * The plugin store, the single source of truth of every view: each driver's instances in
 * registration order, their connection state, the instance in use, and refused sockets.
 */
@NullMarked
package io.dranode.agent.plugin;

import org.jspecify.annotations.NullMarked;
