package io.dranode.example;

/**
 * A {@code NotifyRegistrationStatus} call as the driver received it.
 *
 * @param registered the registrar's {@code plugin_registered}
 * @param error the registrar's reason when it refused the driver, empty otherwise
 * @param receivedNanos {@link System#nanoTime()} when the call arrived, for latency measurements
 */
public record RegistrationStatus(boolean registered, String error, long receivedNanos) {}
