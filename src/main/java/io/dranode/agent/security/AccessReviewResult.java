package io.dranode.agent.security;

/**
 * What the API server said about one {@link AccessRequest}.
 *
 * @param allowed whether the user may do it
 * @param reason the authorizer's reason, for the agent's log; may be empty
 */
record AccessReviewResult(boolean allowed, String reason) {}
