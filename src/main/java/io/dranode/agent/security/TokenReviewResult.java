package io.dranode.agent.security;

/** What the API server said about a bearer token. */
sealed interface TokenReviewResult {

  /** The token is valid (and meant for the configured audiences). */
  record Authenticated(User user) implements TokenReviewResult {}

  /** The token is not valid; the reason is for the agent's log, never for the caller. */
  record Rejected(String reason) implements TokenReviewResult {}
}
