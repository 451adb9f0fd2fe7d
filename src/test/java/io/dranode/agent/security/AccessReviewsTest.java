package io.dranode.agent.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.testing.ManualScheduler;
import io.dranode.agent.testing.MutableClock;
import io.dranode.agent.testing.TestProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The decisions, their caching and the bound on reviews in flight, with time driven by a mutable
 * clock and a manual scheduler, and reviews run when the test says (a held executor), against a
 * scripted API.
 */
class AccessReviewsTest {

  static final String PATH = "/api/v1/plugins";

  final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T00:00:00Z"));
  final ManualScheduler scheduler = new ManualScheduler(clock);
  final HeldExecutor executor = new HeldExecutor();
  final ScriptedApi api = new ScriptedApi();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  AccessReviews reviews(String... properties) {
    AgentProperties.Security security = TestProperties.of(properties).security();
    return new AccessReviews(
        api,
        new ReviewRunner(
            executor, scheduler, security.maxReviewsInFlight(), security.reviewTimeout()),
        clock,
        security.cache(),
        meters);
  }

  /** Runs every review queued so far and returns the decision, which must be known by then. */
  Decision decide(AccessReviews reviews, String token) {
    CompletableFuture<Decision> decision = reviews.check(token, PATH, "get");
    executor.runAll();
    assertThat(decision).isDone();
    return decision.join();
  }

  @Test
  void aReaderIsAllowedAndOthersAreToldWhy() {
    AccessReviews reviews = reviews();
    api.user("good", "reader").grant("reader", PATH).user("other", "other");

    assertThat(decide(reviews, "good")).isInstanceOf(Decision.Allowed.class);
    assertThat(decide(reviews, "bad"))
        .isEqualTo(new Decision.Unauthenticated(AccessReviews.INVALID_TOKEN, true));
    assertThat(decide(reviews, "other"))
        .isInstanceOfSatisfying(
            Decision.Forbidden.class, f -> assertThat(f.user().name()).isEqualTo("other"));
  }

  @Test
  void aGrantIsReusedForTwoMinutes() {
    AccessReviews reviews = reviews();
    api.user("good", "reader").grant("reader", PATH);

    for (int i = 0; i < 100; i++) {
      assertThat(decide(reviews, "good")).isInstanceOf(Decision.Allowed.class);
    }
    assertThat(api.tokenReviews.get()).isEqualTo(1);
    assertThat(api.accessReviews.get()).isEqualTo(1);

    clock.advance(Duration.ofMinutes(2).minusSeconds(1));
    decide(reviews, "good");
    assertThat(api.tokenReviews.get()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(1));
    decide(reviews, "good");
    assertThat(api.tokenReviews.get()).isEqualTo(2);
    assertThat(api.accessReviews.get()).isEqualTo(2);
  }

  @Test
  void aRefusalIsReusedForTenSeconds() {
    AccessReviews reviews = reviews();
    api.user("other", "other");

    decide(reviews, "bad");
    decide(reviews, "other");
    clock.advance(Duration.ofSeconds(9));
    decide(reviews, "bad");
    decide(reviews, "other");
    assertThat(api.tokenReviews.get()).isEqualTo(2);
    assertThat(api.accessReviews.get()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(1));
    decide(reviews, "bad");
    assertThat(decide(reviews, "other")).isInstanceOf(Decision.Forbidden.class);
    assertThat(api.tokenReviews.get()).isEqualTo(3);
    assertThat(api.accessReviews.get()).isEqualTo(2);
  }

  @Test
  void aNewGrantWorksOnceTheDenialExpires() {
    AccessReviews reviews = reviews();
    api.user("late", "late");
    assertThat(decide(reviews, "late")).isInstanceOf(Decision.Forbidden.class);

    api.grant("late", PATH);
    assertThat(decide(reviews, "late")).isInstanceOf(Decision.Forbidden.class);
    clock.advance(Duration.ofSeconds(10));

    assertThat(decide(reviews, "late")).isInstanceOf(Decision.Allowed.class);
  }

  @Test
  void theTtlsAreSettings() {
    AccessReviews reviews =
        reviews(
            "dra.agent.security.cache.allowed-ttl=5s", "dra.agent.security.cache.denied-ttl=1s");
    api.user("good", "reader").grant("reader", PATH);

    decide(reviews, "good");
    decide(reviews, "bad");
    clock.advance(Duration.ofSeconds(1));
    decide(reviews, "bad");
    decide(reviews, "good");
    assertThat(api.tokenReviews.get()).isEqualTo(3);
    clock.advance(Duration.ofSeconds(4));
    decide(reviews, "good");
    assertThat(api.tokenReviews.get()).isEqualTo(4);
  }

  @Test
  void identicalQuestionsInFlightShareOneReview() {
    AccessReviews reviews = reviews();
    api.user("good", "reader").grant("reader", PATH);

    List<CompletableFuture<Decision>> decisions = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      decisions.add(reviews.check("good", PATH, "get"));
    }
    assertThat(executor.queued()).isEqualTo(1);
    assertThat(decisions).noneMatch(CompletableFuture::isDone);

    executor.runAll();

    assertThat(decisions)
        .allSatisfy(d -> assertThat(d.join()).isInstanceOf(Decision.Allowed.class));
    assertThat(api.tokenReviews.get()).isEqualTo(1);
    assertThat(api.accessReviews.get()).isEqualTo(1);
  }

  @Test
  void beyondTheBoundACallIsRefusedAtOnceInsteadOfQueued() {
    AccessReviews reviews = reviews("dra.agent.security.max-reviews-in-flight=2");

    CompletableFuture<Decision> first = reviews.check("t1", PATH, "get");
    CompletableFuture<Decision> second = reviews.check("t2", PATH, "get");
    CompletableFuture<Decision> third = reviews.check("t3", PATH, "get");

    assertThat(reviews.inFlight()).isEqualTo(2);
    assertThat(executor.queued()).isEqualTo(2);
    assertThat(third)
        .isCompletedWithValueMatching(
            d ->
                d instanceof Decision.Unavailable u
                    && u.busy()
                    && u.detail().contains("2 reviews"));
    executor.runAll();
    assertThat(first.join()).isInstanceOf(Decision.Unauthenticated.class);
    assertThat(second.join()).isInstanceOf(Decision.Unauthenticated.class);
    assertThat(reviews.inFlight()).isZero();
    assertThat(decide(reviews, "t3")).isInstanceOf(Decision.Unauthenticated.class);
    assertThat(meters.counter("dra.agent.auth.reviews", "kind", "token", "result", "busy").count())
        .isEqualTo(1);
  }

  @Test
  void aFailureIsNotCachedAndSaysWhy() {
    AccessReviews reviews = reviews();
    api.user("good", "reader").grant("reader", PATH);
    api.failing = true;

    assertThat(decide(reviews, "good"))
        .isInstanceOfSatisfying(
            Decision.Unavailable.class,
            u -> {
              assertThat(u.busy()).isFalse();
              assertThat(u.detail()).contains("the API server is down (scripted)");
            });
    decide(reviews, "good");
    assertThat(api.tokenReviews.get()).isEqualTo(2);

    api.failing = false;
    assertThat(decide(reviews, "good")).isInstanceOf(Decision.Allowed.class);
  }

  @Test
  void aReviewThatDoesNotAnswerIsGivenUpOnButKeepsItsPlace() {
    AccessReviews reviews = reviews("dra.agent.security.max-reviews-in-flight=1");

    CompletableFuture<Decision> decision = reviews.check("slow", PATH, "get");
    scheduler.advance(Duration.ofSeconds(5));

    assertThat(decision)
        .isCompletedWithValueMatching(
            d -> d instanceof Decision.Unavailable u && u.detail().contains("within PT5S"));
    // The request to the API server is still out: it counts against the bound until it ends.
    assertThat(reviews.inFlight()).isEqualTo(1);
    assertThat(reviews.check("next", PATH, "get"))
        .isCompletedWithValueMatching(d -> d instanceof Decision.Unavailable u && u.busy());
    executor.runAll();
    assertThat(reviews.inFlight()).isZero();
  }

  @Test
  void refusalsNeverPushOutGrants() {
    AccessReviews reviews = reviews("dra.agent.security.cache.size=2");
    api.user("a", "reader").user("b", "reader").grant("reader", PATH);
    decide(reviews, "a");
    decide(reviews, "b");

    for (int i = 0; i < 50; i++) {
      decide(reviews, "bad-" + i);
    }
    decide(reviews, "a");
    decide(reviews, "b");

    assertThat(api.tokenReviews.get()).isEqualTo(2 + 50);
  }

  @Test
  void theCacheIsBounded() {
    AccessReviews reviews = reviews("dra.agent.security.cache.size=2");
    api.user("a", "reader").user("b", "reader").user("c", "reader").grant("reader", PATH);
    decide(reviews, "a");
    decide(reviews, "b");
    decide(reviews, "c"); // a, the least recently used, leaves

    decide(reviews, "c");
    decide(reviews, "b");
    assertThat(api.tokenReviews.get()).isEqualTo(3);
    decide(reviews, "a");
    assertThat(api.tokenReviews.get()).isEqualTo(4);
  }

  @Test
  void theCacheKnowsTokensOnlyByTheirHash() {
    TokenKey key = TokenKey.of("secret-token");

    assertThat(key.sha256()).hasSize(64).doesNotContain("secret");
    assertThat(key).isEqualTo(TokenKey.of("secret-token")).isNotEqualTo(TokenKey.of("other"));
  }

  /** Runs submitted tasks only when told to. */
  static final class HeldExecutor implements Executor {
    private final Queue<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable task) {
      tasks.add(task);
    }

    synchronized int queued() {
      return tasks.size();
    }

    /** Runs tasks until none is left, also those the finished ones submit. */
    void runAll() {
      while (true) {
        Runnable next;
        synchronized (this) {
          next = tasks.poll();
        }
        if (next == null) {
          return;
        }
        next.run();
      }
    }
  }

  /** Tokens → users, users → granted paths; counts every review. */
  static final class ScriptedApi implements ReviewApi {
    final Map<String, String> users = new ConcurrentHashMap<>();
    final Map<String, Set<String>> grants = new ConcurrentHashMap<>();
    final AtomicInteger tokenReviews = new AtomicInteger();
    final AtomicInteger accessReviews = new AtomicInteger();
    volatile boolean failing;

    ScriptedApi user(String token, String user) {
      users.put(token, user);
      return this;
    }

    ScriptedApi grant(String user, String path) {
      grants.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(path);
      return this;
    }

    @Override
    public TokenReviewResult reviewToken(String token) {
      tokenReviews.incrementAndGet();
      if (failing) {
        throw new ReviewFailure("the API server is down (scripted)", ReviewFailure.Cause.NO_ANSWER);
      }
      String user = users.get(token);
      return user == null
          ? new TokenReviewResult.Rejected("unknown token")
          : new TokenReviewResult.Authenticated(new User(user, "", List.of(), Map.of()));
    }

    @Override
    public AccessReviewResult reviewAccess(AccessRequest request) {
      accessReviews.incrementAndGet();
      boolean allowed =
          grants.getOrDefault(request.user().name(), Set.of()).contains(request.path());
      return new AccessReviewResult(allowed, allowed ? "" : "no grant");
    }
  }
}
