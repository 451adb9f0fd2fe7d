package io.dranode.agent.plugin;

import java.nio.file.Path;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A registration socket whose plugin is not registered, and why.
 *
 * @param socket the registration socket
 * @param driver the name the plugin gave, if it answered at all
 * @param reason why it was refused or could not be reached
 * @param attempts how many attempts were made since the socket appeared
 * @param lastAttemptAt when the last attempt finished
 * @param retrying whether the agent will try again (transient failures) or waits for the socket to
 *     be re-created (invalid input)
 */
public record Rejection(
    Path socket,
    @Nullable String driver,
    String reason,
    int attempts,
    Instant lastAttemptAt,
    boolean retrying) {}
