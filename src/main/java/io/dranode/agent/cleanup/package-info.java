/**
 * ResourceSlice cleanup: pending wipes of unusable drivers on the context's scheduler, the wipe
 * itself (node- and driver-checked deletes), start-up and periodic orphan sweeps, node identity.
 */
@NullMarked
package io.dranode.agent.cleanup;

import org.jspecify.annotations.NullMarked;
