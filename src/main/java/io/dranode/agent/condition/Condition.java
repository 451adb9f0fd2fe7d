package io.dranode.agent.condition;

import java.time.Instant;

/**
 * One condition of a driver, in the Kubernetes condition shape.
 *
 * @param type what it is about, one of {@link Conditions#TYPES}
 * @param status its status
 * @param reason why, in one CamelCase word (one of {@link Conditions}' reasons)
 * @param message why, in words: at most {@value Conditions#MESSAGE_MAX_BYTES} bytes, untrusted
 *     parts quoted
 * @param lastTransitionTime when the status last changed (not the reason or the message)
 */
public record Condition(
    String type,
    ConditionStatus status,
    String reason,
    String message,
    Instant lastTransitionTime) {}
