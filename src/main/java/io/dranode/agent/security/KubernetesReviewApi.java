package io.dranode.agent.security;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * TokenReview ({@code authentication.k8s.io/v1}) and SubjectAccessReview ({@code
 * authorization.k8s.io/v1}) through the agent's Kubernetes client, whose failed requests are not
 * retried: a failure is one refused call, and the next call asks again.
 */
final class KubernetesReviewApi implements ReviewApi {

  private final KubernetesClient client;
  private final List<String> audiences;

  KubernetesReviewApi(KubernetesClient client, List<String> audiences) {
    this.client = client;
    this.audiences = List.copyOf(audiences);
  }

  @Override
  public TokenReviewResult reviewToken(String token) {
    TokenReview question =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(token)
            .withAudiences(audiences)
            .endSpec()
            .build();
    TokenReview answer =
        ask("TokenReview", () -> client.authentication().v1().tokenReviews().create(question));
    TokenReviewStatus status = answer.getStatus();
    if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
      String error = status == null ? null : status.getError();
      return new TokenReviewResult.Rejected(
          error == null || error.isBlank() ? "not authenticated" : error);
    }
    // The API server checks audiences itself; this also catches one that ignores them.
    List<String> meantFor = orEmpty(status.getAudiences());
    if (!audiences.isEmpty() && meantFor.stream().noneMatch(audiences::contains)) {
      return new TokenReviewResult.Rejected(
          "the token is meant for " + meantFor + ", not for " + audiences);
    }
    UserInfo user = status.getUser();
    String name = user == null ? null : user.getUsername();
    if (user == null || name == null || name.isBlank()) {
      return new TokenReviewResult.Rejected("the TokenReview names no user");
    }
    return new TokenReviewResult.Authenticated(
        new User(
            name,
            user.getUid() == null ? "" : user.getUid(),
            orEmpty(user.getGroups()),
            user.getExtra() == null ? Map.of() : user.getExtra()));
  }

  @Override
  public AccessReviewResult reviewAccess(AccessRequest request) {
    User user = request.user();
    SubjectAccessReview question =
        new SubjectAccessReviewBuilder()
            .withNewSpec()
            .withUser(user.name())
            .withUid(user.uid().isEmpty() ? null : user.uid())
            .withGroups(user.groups())
            .withExtra(user.extra())
            .withNewNonResourceAttributes()
            .withPath(request.path())
            .withVerb(request.verb())
            .endNonResourceAttributes()
            .endSpec()
            .build();
    SubjectAccessReview answer =
        ask(
            "SubjectAccessReview",
            () -> client.authorization().v1().subjectAccessReview().create(question));
    SubjectAccessReviewStatus status = answer.getStatus();
    if (status == null) {
      return new AccessReviewResult(false, "the SubjectAccessReview has no status");
    }
    String reason = status.getReason();
    if (reason == null || reason.isBlank()) {
      reason = status.getEvaluationError() == null ? "" : status.getEvaluationError();
    }
    return new AccessReviewResult(Boolean.TRUE.equals(status.getAllowed()), reason);
  }

  /** One request; what went wrong said for the caller, without the API server's address. */
  private static <T> T ask(String kind, Supplier<@Nullable T> request) {
    T answer;
    try {
      answer = request.get();
    } catch (KubernetesClientException e) {
      if (Thread.currentThread().isInterrupted()) { // the agent closes: its executor interrupts
        throw new ReviewFailure("the agent is shutting down", ReviewFailure.Cause.SHUTTING_DOWN);
      }
      throw new ReviewFailure(describe(kind, e.getCode()), ReviewFailure.Cause.NO_ANSWER);
    }
    if (answer == null) {
      throw new ReviewFailure(
          "the Kubernetes API server answered the " + kind + " with nothing",
          ReviewFailure.Cause.NO_ANSWER);
    }
    return answer;
  }

  private static String describe(String kind, int code) {
    if (code <= 0) {
      return "the Kubernetes API server could not be reached for a " + kind;
    }
    if (code == 401 || code == 403) {
      return "the Kubernetes API server refused the agent's "
          + kind
          + " (HTTP "
          + code
          + "): its ServiceAccount needs tokenreviews and subjectaccessreviews create";
    }
    return "the Kubernetes API server answered the " + kind + " with HTTP " + code;
  }

  private static <T> List<T> orEmpty(@Nullable List<T> list) {
    return list == null ? List.of() : list;
  }
}
