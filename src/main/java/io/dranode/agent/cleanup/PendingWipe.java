package io.dranode.agent.cleanup;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A wipe that is due or being retried.
 *
 * @param driver the driver whose slices will be wiped
 * @param cause why they are to go
 * @param dueAt the deadline it was first scheduled for (kept when asked again)
 * @param reason why it was scheduled, in words
 * @param attempts attempts made so far (retries after API failures)
 * @param lastError the last failure, if any
 */
public record PendingWipe(
    String driver,
    WipeCause cause,
    Instant dueAt,
    String reason,
    int attempts,
    @Nullable String lastError) {}
