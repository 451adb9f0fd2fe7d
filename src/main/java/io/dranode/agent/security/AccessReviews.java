package io.dranode.agent.security;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.input.Untrusted;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides a call from its bearer token, the path asked for and the verb: authentication by
 * TokenReview (cached by the token's hash), then authorization by SubjectAccessReview of the
 * non-resource path (cached by user and path), as the kubelet and controller-runtime's secure
 * metrics do. The answer is a future so that no caller's thread waits for the API server: it is
 * already complete when both answers are cached.
 */
final class AccessReviews {

  private static final Logger log = LoggerFactory.getLogger(AccessReviews.class);

  static final String INVALID_TOKEN =
      "the bearer token was not accepted by the Kubernetes API server (TokenReview)";

  private final ReviewApi api;
  private final ReviewRunner runner;
  private final ReviewCache<TokenKey, TokenReviewResult> tokens;
  private final ReviewCache<AccessRequest, AccessReviewResult> access;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final AtomicBoolean failing = new AtomicBoolean();

  AccessReviews(
      ReviewApi api,
      ReviewRunner runner,
      Clock clock,
      AgentProperties.Security.Cache cache,
      MeterRegistry registry) {
    this.api = api;
    this.runner = runner;
    this.registry = registry;
    this.tokens =
        new ReviewCache<>(
            clock,
            cache.size(),
            r -> r instanceof TokenReviewResult.Authenticated,
            cache.allowedTtl(),
            cache.deniedTtl());
    this.access =
        new ReviewCache<>(
            clock,
            cache.size(),
            AccessReviewResult::allowed,
            cache.allowedTtl(),
            cache.deniedTtl());
  }

  /** The decision for a call with this token on this non-resource path with this verb. */
  CompletableFuture<Decision> check(String token, String path, String verb) {
    return tokens
        .get(TokenKey.of(token), () -> start("token", () -> reviewToken(token)))
        .thenCompose(
            result -> {
              if (result instanceof TokenReviewResult.Authenticated authenticated) {
                return authorize(new AccessRequest(authenticated.user(), path, verb));
              }
              return CompletableFuture.completedFuture(
                  (Decision) new Decision.Unauthenticated(INVALID_TOKEN, true));
            })
        .exceptionally(AccessReviews::unavailable);
  }

  /** Reviews running now, tokens and access together. */
  int inFlight() {
    return runner.inFlight();
  }

  private CompletableFuture<Decision> authorize(AccessRequest request) {
    return access
        .get(request, () -> start("access", () -> reviewAccess(request)))
        .thenApply(
            result ->
                result.allowed()
                    ? new Decision.Allowed(request.user())
                    : new Decision.Forbidden(request.user(), request.path(), request.verb()));
  }

  private <V> CompletableFuture<V> start(String kind, Callable<V> review) {
    CompletableFuture<V> started = runner.run(review);
    if (started.isCompletedExceptionally()) {
      count(kind, "busy");
    }
    return started;
  }

  private TokenReviewResult reviewToken(String token) {
    try {
      TokenReviewResult result = api.reviewToken(token);
      recovered();
      if (result instanceof TokenReviewResult.Rejected rejected) {
        count("token", "denied");
        log.debug("A bearer token was refused: {}", Untrusted.clean(rejected.reason()));
      } else {
        count("token", "allowed");
      }
      return result;
    } catch (ReviewFailure e) {
      failed("token", e);
      throw e;
    }
  }

  private AccessReviewResult reviewAccess(AccessRequest request) {
    try {
      AccessReviewResult result = api.reviewAccess(request);
      recovered();
      count("access", result.allowed() ? "allowed" : "denied");
      if (!result.allowed()) {
        log.debug(
            "User {} may not {} {}: {}",
            Untrusted.quote(request.user().name()),
            request.verb(),
            Untrusted.quote(request.path()),
            Untrusted.clean(result.reason()));
      }
      return result;
    } catch (ReviewFailure e) {
      failed("access", e);
      throw e;
    }
  }

  /** The first failure of a streak at warn, the rest at debug, the recovery at info. */
  private void failed(String kind, ReviewFailure e) {
    if (e.reason() == ReviewFailure.Cause.SHUTTING_DOWN) {
      log.debug("A {} review ended with the agent", kind);
      return;
    }
    count(kind, "failed");
    if (failing.compareAndSet(false, true)) {
      log.warn(
          "Calls are refused with 503 until the API server answers reviews: {}", e.getMessage());
    } else {
      log.debug("A {} review failed: {}", kind, e.getMessage());
    }
  }

  private void recovered() {
    if (failing.compareAndSet(true, false)) {
      log.info("The Kubernetes API server answers reviews again");
    }
  }

  private void count(String kind, String result) {
    counters
        .computeIfAbsent(
            kind + "/" + result,
            k ->
                Counter.builder("dra.agent.auth.reviews")
                    .description("TokenReviews and SubjectAccessReviews the agent asked for")
                    .tag("kind", kind)
                    .tag("result", result)
                    .register(registry))
        .increment();
  }

  private static Decision unavailable(Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (cause instanceof ReviewFailure review) {
      return new Decision.Unavailable(
          "the agent could not check the bearer token: " + review.getMessage(), review.busy());
    }
    log.error("Unexpected failure of a review", cause);
    return new Decision.Unavailable("the agent could not check the bearer token", false);
  }
}
