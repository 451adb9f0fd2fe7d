package io.dranode.agent.event;

import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Something that happened to a driver on this node, as users see it in the event stream.
 *
 * @param type what happened
 * @param time when it happened
 * @param driver the driver it concerns (for a rejection without a name: the socket's file name)
 * @param endpoint the instance's endpoint or socket, when one is concerned
 * @param detail a human-readable explanation
 */
public record AgentEvent(
    Type type, Instant time, String driver, @Nullable String endpoint, String detail) {

  /** Event kinds; {@link #wireName()} is what the APIs show. */
  public enum Type {
    REGISTERED,
    DEREGISTERED,
    REJECTED,
    CONNECTED,
    DISCONNECTED,
    WIPE_SCHEDULED,
    WIPE_CANCELLED,
    WIPED;

    /** The lower-case, dash-separated name used by the REST and gRPC APIs. */
    @JsonValue
    public String wireName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }
}
