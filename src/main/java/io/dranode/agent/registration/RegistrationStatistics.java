package io.dranode.agent.registration;

/** Running totals of registration outcomes, for metrics. */
public interface RegistrationStatistics {

  /** Registrations recorded in the store. */
  long accepted();

  /** Refusals for invalid input (not retried). */
  long rejected();

  /** Transient failures (retried with backoff; the quick retries of a late listener excluded). */
  long failed();

  /** Sum over accepted registrations of the time from socket seen to registered, in seconds. */
  double registrationSecondsTotal();
}
