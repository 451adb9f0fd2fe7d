package io.dranode.agent.cleanup;

import java.time.Instant;

/**
 * Told of every step of every wipe, in order, while the pending wipes hold their lock: an
 * implementation must be quick (record, queue) and must never call back into {@link PendingWipes}.
 * Internal consumers (conditions, reports, quarantine) subscribe with {@link
 * PendingWipes#subscribe} when they start and close the handle when they stop.
 */
public interface WipeListener {

  /** A wipe is pending, due at {@link PendingWipe#dueAt()}. */
  default void wipeScheduled(PendingWipe wipe) {}

  /** A pending wipe is dropped: its driver is usable again (or the agent stops). */
  default void wipeCancelled(PendingWipe wipe, String why) {}

  /** An attempt failed; the next one is due at {@code nextAttempt}. */
  default void wipeAttemptFailed(PendingWipe wipe, Instant nextAttempt) {}

  /** A wipe ended: deleted, cancelled after it started, failed for good, or a dry run. */
  default void wipeFinished(WipeRecord record) {}
}
