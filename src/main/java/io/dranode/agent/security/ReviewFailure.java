package io.dranode.agent.security;

/**
 * A review that got no answer from the API server. The message is written for the caller: it names
 * the problem and never contains the token or the API server's address.
 */
final class ReviewFailure extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Why there is no answer. */
  enum Cause {
    /** The API server failed or could not be reached: worth a warning. */
    NO_ANSWER,
    /** Never started: the bound on reviews in flight was reached. Worth a quick retry. */
    BUSY,
    /** The agent is stopping. */
    SHUTTING_DOWN
  }

  private final Cause cause;

  ReviewFailure(String message, Cause cause) {
    super(message, null, false, false);
    this.cause = cause;
  }

  Cause reason() {
    return cause;
  }

  boolean busy() {
    return cause == Cause.BUSY;
  }
}
