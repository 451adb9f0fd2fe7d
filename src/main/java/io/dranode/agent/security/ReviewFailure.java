package io.dranode.agent.security;

/**
 * A review that got no answer from the API server. The message is written for the caller: it names
 * the problem and never contains the token or the API server's address.
 */
final class ReviewFailure extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final boolean busy;

  ReviewFailure(String message, boolean busy) {
    super(message, null, false, false);
    this.busy = busy;
  }

  /** Whether the review was never started because the bound on reviews in flight was reached. */
  boolean busy() {
    return busy;
  }
}
