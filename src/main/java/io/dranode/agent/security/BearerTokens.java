package io.dranode.agent.security;

import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The bearer token of an {@code Authorization} header ({@code Bearer <token>}, RFC 6750), or the
 * reason there is none, in words for the caller.
 */
final class BearerTokens {

  /** Longer than any token the API server issues; longer values are refused unreviewed. */
  static final int MAX_LENGTH = 16 * 1024;

  static final String MISSING =
      "this agent needs a Kubernetes bearer token: send 'Authorization: Bearer <token>' (for a"
          + " ServiceAccount: kubectl create token <name>)";

  static final String MALFORMED =
      "the Authorization header is not 'Bearer <token>' with a token of visible ASCII characters";

  private static final String SCHEME = "bearer ";

  private BearerTokens() {}

  /** The token, or empty when the header is absent or not a well-formed bearer token. */
  static Optional<String> token(@Nullable String header) {
    if (header == null || header.length() <= SCHEME.length()) {
      return Optional.empty();
    }
    if (!header.substring(0, SCHEME.length()).toLowerCase(Locale.ROOT).equals(SCHEME)) {
      return Optional.empty();
    }
    String token = header.substring(SCHEME.length()).strip();
    if (token.isEmpty() || token.length() > MAX_LENGTH) {
      return Optional.empty();
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return Optional.empty();
      }
    }
    return Optional.of(token);
  }

  /** What to tell a caller whose header gave no token. */
  static Decision.Unauthenticated refusal(@Nullable String header) {
    return header == null || header.isBlank()
        ? new Decision.Unauthenticated(MISSING, false)
        : new Decision.Unauthenticated(MALFORMED, true);
  }
}
