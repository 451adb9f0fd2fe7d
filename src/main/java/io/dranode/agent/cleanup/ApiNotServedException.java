package io.dranode.agent.cleanup;

/** Start-up stops with this when the API server lacks an API the agent cannot work without. */
public final class ApiNotServedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  ApiNotServedException(String message) {
    super(message);
  }
}
