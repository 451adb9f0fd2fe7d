package io.dranode.agent.security;

/** The answer to one call: go on, or how to refuse it. */
sealed interface Decision {

  /** The caller is who the token says, and may make this call. */
  record Allowed(User user) implements Decision {}

  /**
   * 401 / {@code UNAUTHENTICATED}: no token, a malformed header, or a token the API server does not
   * accept.
   *
   * @param detail what is wrong, for the caller; never contains the token
   * @param tokenPresented whether a token was sent (RFC 6750: then {@code error="invalid_token"})
   */
  record Unauthenticated(String detail, boolean tokenPresented) implements Decision {}

  /** 403 / {@code PERMISSION_DENIED}: a valid token whose user may not make this call. */
  record Forbidden(User user, String path, String verb) implements Decision {}

  /**
   * 503 / {@code UNAVAILABLE}: the API server could not be asked (fail closed).
   *
   * @param detail why, for the caller
   * @param busy whether the bound on reviews in flight was the reason (worth a quick retry)
   */
  record Unavailable(String detail, boolean busy) implements Decision {}
}
