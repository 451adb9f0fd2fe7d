package io.dranode.agent.testing;

import java.nio.file.Path;

/**
 * One {@code NotifyRegistrationStatus} as a plugin received it.
 *
 * @param socket the socket it came in on
 * @param registered the registrar's {@code plugin_registered}
 * @param error the registrar's reason when it refused the plugin, empty otherwise
 * @param receivedNanos {@link System#nanoTime()} when it arrived, for latency measurements
 */
public record Notification(Path socket, boolean registered, String error, long receivedNanos) {}
