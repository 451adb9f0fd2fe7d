package io.dranode.agent.security;

/**
 * The two questions the agent asks the API server, each one blocking request. Either throws {@link
 * ReviewFailure} when no answer came.
 */
interface ReviewApi {

  /** A TokenReview of the bearer token. */
  TokenReviewResult reviewToken(String token);

  /** A SubjectAccessReview of one non-resource request. */
  AccessReviewResult reviewAccess(AccessRequest request);
}
