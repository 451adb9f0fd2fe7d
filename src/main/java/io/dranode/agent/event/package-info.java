/**
 * The agent's activity events (registered, wipe-scheduled, …) and the in-process bus that hands
 * them to the views: SSE, gRPC watch, metrics and logs.
 */
@NullMarked
package io.dranode.agent.event;

import org.jspecify.annotations.NullMarked;
