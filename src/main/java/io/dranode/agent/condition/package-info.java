/**
 * Per-driver conditions ({@code Registered}, {@code Connected}, {@code SlicesPublished}, {@code
 * DevicesHealthy}) in the Kubernetes condition shape, computed from the store, the pending wipes,
 * the slice informer and device health, and read by every view.
 */
@NullMarked
package io.dranode.agent.condition;

import org.jspecify.annotations.NullMarked;
