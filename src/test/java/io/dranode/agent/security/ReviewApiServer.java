package io.dranode.agent.security;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.NonResourceAttributes;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.utils.ResponseProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * fabric8's mock API server with TokenReview and SubjectAccessReview answered by expectations from
 * a policy the test sets (tokens → users, users → granted non-resource paths, RBAC-style with a
 * trailing {@code *}), everything else in CRUD mode (the agent's Node and slices). Review answers
 * can be delayed (a timer of the mock's event loop, no blocked thread) or failed, and every review
 * is recorded with its arrival time, so that the number in flight can be judged at the server.
 */
public final class ReviewApiServer implements AutoCloseable {

  public static final String NODE = "worker";
  static final String TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";
  static final String ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

  /** One review the mock answered: which kind, when it arrived, what it asked. */
  record Review(String kind, long arrivedNanos, String subject) {}

  private final KubernetesMockServer server;
  private final Map<String, String> users = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> grants = new ConcurrentHashMap<>();
  private final List<Review> reviews = new CopyOnWriteArrayList<>();
  private final List<SubjectAccessReview> accessQuestions = new CopyOnWriteArrayList<>();
  private final List<TokenReview> tokenQuestions = new CopyOnWriteArrayList<>();
  private volatile Duration delay = Duration.ZERO;
  private volatile int failure; // 0: answer
  private volatile @Nullable List<String> audiences; // null: the ones asked for
  private volatile boolean closed;

  ReviewApiServer() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    Dispatcher mixed = new KubernetesMixedDispatcher(responses);
    Dispatcher reviewing =
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String path = String.valueOf(request.getPath());
            boolean review = path.startsWith(TOKEN_REVIEWS) || path.startsWith(ACCESS_REVIEWS);
            if (review && failure != 0) {
              var unused = record(request);
              return new MockResponse()
                  .setResponseCode(failure)
                  .setBody("{\"kind\":\"Status\",\"code\":" + failure + "}");
            }
            MockResponse response = mixed.dispatch(request);
            if (review) {
              Duration wait = delay;
              if (!wait.isZero()) {
                response.setBodyDelay(wait);
              }
            }
            return response;
          }
        };
    server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            responses,
            reviewing,
            false);
    server.init();
    server.expect().post().withPath(TOKEN_REVIEWS).andReply(json(this::answerTokenReview)).always();
    server
        .expect()
        .post()
        .withPath(ACCESS_REVIEWS)
        .andReply(json(this::answerAccessReview))
        .always();
    try (KubernetesClient admin = server.createClient()) {
      admin
          .nodes()
          .resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build())
          .create();
    }
  }

  /** A valid token of this user. */
  public ReviewApiServer token(String token, String user) {
    users.put(token, user);
    return this;
  }

  /** Non-resource paths the user may {@code get}; {@code /api/v1/*} style prefixes allowed. */
  public ReviewApiServer grant(String user, String... paths) {
    grants.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).addAll(List.of(paths));
    return this;
  }

  /** Review answers come this late from now on (zero: at once). */
  void delay(Duration delay) {
    this.delay = delay;
  }

  /** Reviews answer with this HTTP status from now on; 0 answers them again. */
  void fail(int status) {
    this.failure = status;
  }

  /** TokenReviews answer that the token is meant for these audiences; null: those asked for. */
  void answerAudiences(@Nullable List<String> audiences) {
    this.audiences = audiences;
  }

  /** A client of the mock for tests of their own, closed by the caller. */
  KubernetesClient client() {
    return server.createClient();
  }

  String url() {
    return server.url("/");
  }

  List<Review> reviews() {
    return List.copyOf(reviews);
  }

  long reviews(String kind) {
    return reviews.stream().filter(r -> r.kind().equals(kind)).count();
  }

  /** Reviews of this kind about this subject (the token for TokenReviews, "user path" for SARs). */
  long reviews(String kind, String subject) {
    return reviews.stream()
        .filter(r -> r.kind().equals(kind) && r.subject().equals(subject))
        .count();
  }

  List<SubjectAccessReview> accessQuestions() {
    return List.copyOf(accessQuestions);
  }

  List<TokenReview> tokenQuestions() {
    return List.copyOf(tokenQuestions);
  }

  /**
   * The most reviews that arrived within any window of the given length. With answers delayed by at
   * least that long, a client with at most N reviews in flight cannot make more than N arrive
   * within one window: each new one needs an answer first.
   */
  static int mostArrivalsWithin(List<Review> reviews, Duration window) {
    List<Long> times =
        new ArrayList<>(reviews.stream().map(Review::arrivedNanos).sorted().toList());
    int most = 0;
    int first = 0;
    for (int last = 0; last < times.size(); last++) {
      while (times.get(last) - times.get(first) >= window.toNanos()) {
        first++;
      }
      most = Math.max(most, last - first + 1);
    }
    return most;
  }

  /** Parses the body once (reading it consumes it) and records the review. */
  private Object record(RecordedRequest request) {
    String path = String.valueOf(request.getPath());
    String body = request.getUtf8Body();
    if (path.startsWith(TOKEN_REVIEWS)) {
      TokenReview review = Serialization.unmarshal(body, TokenReview.class);
      tokenQuestions.add(review);
      reviews.add(new Review("token", System.nanoTime(), review.getSpec().getToken()));
      return review;
    }
    SubjectAccessReview review = Serialization.unmarshal(body, SubjectAccessReview.class);
    accessQuestions.add(review);
    NonResourceAttributes attributes = review.getSpec().getNonResourceAttributes();
    reviews.add(
        new Review(
            "access",
            System.nanoTime(),
            review.getSpec().getUser() + " " + (attributes == null ? "" : attributes.getPath())));
    return review;
  }

  private Object answerTokenReview(RecordedRequest request) {
    TokenReview question = (TokenReview) record(request);
    String user = users.get(question.getSpec().getToken());
    TokenReviewBuilder answer = new TokenReviewBuilder(question);
    if (user == null) {
      return answer
          .withNewStatus()
          .withAuthenticated(false)
          .withError("invalid bearer token")
          .endStatus()
          .build();
    }
    return answer
        .withNewStatus()
        .withAuthenticated(true)
        .withAudiences(audiences != null ? audiences : question.getSpec().getAudiences())
        .withNewUser()
        .withUsername(user)
        .withUid("uid-" + user)
        .withGroups("system:authenticated", "group-of-" + user)
        .addToExtra("authentication.kubernetes.io/node-name", List.of(NODE))
        .endUser()
        .endStatus()
        .build();
  }

  private Object answerAccessReview(RecordedRequest request) {
    SubjectAccessReview question = (SubjectAccessReview) record(request);
    NonResourceAttributes attributes = question.getSpec().getNonResourceAttributes();
    boolean allowed =
        attributes != null
            && "get".equals(attributes.getVerb())
            && grants.getOrDefault(question.getSpec().getUser(), Set.of()).stream()
                .anyMatch(granted -> matches(granted, attributes.getPath()));
    return new SubjectAccessReviewBuilder(question)
        .withNewStatus()
        .withAllowed(allowed)
        .withReason(allowed ? "granted by the test" : "")
        .endStatus()
        .build();
  }

  /** RBAC's nonResourceURLs: exact, or a prefix ending in {@code *}. */
  static boolean matches(String granted, @Nullable String path) {
    if (path == null) {
      return false;
    }
    return granted.endsWith("*")
        ? path.startsWith(granted.substring(0, granted.length() - 1))
        : granted.equals(path);
  }

  private static ResponseProvider<Object> json(Function<RecordedRequest, Object> answer) {
    return new ResponseProvider<>() {
      private Headers headers = Headers.builder().add("Content-Type", "application/json").build();

      @Override
      public Object getBody(RecordedRequest request) {
        return Serialization.asJson(answer.apply(request));
      }

      @Override
      public int getStatusCode(RecordedRequest request) {
        return 201;
      }

      @Override
      public Headers getHeaders() {
        return headers;
      }

      @Override
      public void setHeaders(Headers headers) {
        this.headers = headers;
      }
    };
  }

  /** Stops the mock: from now on nothing listens on its port. Idempotent. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      server.destroy();
    }
  }
}
