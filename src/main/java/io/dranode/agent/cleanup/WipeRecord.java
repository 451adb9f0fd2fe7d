package io.dranode.agent.cleanup;

import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Locale;

/**
 * A finished wipe.
 *
 * @param driver the driver whose slices were concerned
 * @param cause why they were to go
 * @param startedAt when the first attempt started (for a wipe cancelled before it ran: when it was
 *     scheduled)
 * @param finishedAt when it ended
 * @param deleted how many slices were deleted (in a dry run: would have been)
 * @param result how it ended
 * @param detail why, in words
 */
public record WipeRecord(
    String driver,
    WipeCause cause,
    Instant startedAt,
    Instant finishedAt,
    int deleted,
    Result result,
    String detail) {

  /** How a wipe ended. */
  public enum Result {
    DELETED,
    CANCELLED,
    FAILED,
    DRY_RUN;

    /** {@code deleted}, {@code cancelled}, {@code failed} or {@code dry-run}. */
    @JsonValue
    public String wireName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }
}
