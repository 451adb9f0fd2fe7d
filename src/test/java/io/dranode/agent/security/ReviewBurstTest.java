package io.dranode.agent.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A flood of requests with distinct bad tokens cannot become a flood at the API server: at most
 * {@code dra.agent.security.max-reviews-in-flight} reviews are in flight, judged at the mock API,
 * the calls beyond the bound are answered 503 at once, and meanwhile the probes and callers whose
 * tokens are cached are served. Prints the figures of docs/BENCHMARKS.md.
 */
class ReviewBurstTest {

  static final int BURST = 500;
  static final int BOUND = 4;

  /** Longer than the burst takes to send: every review of the first wave is still out. */
  static final Duration ANSWER_DELAY = Duration.ofSeconds(4);

  SecuredAgent agent;

  @BeforeEach
  void start() throws Exception {
    agent = new SecuredAgent();
    agent.api.token("good", "reader").grant("reader", "/api/v1/*");
    // A generous review timeout: every review the mock answers is answered to its caller, 401,
    // however slowly a loaded machine runs the burst's TLS handshakes.
    agent.start(
        "--dra.agent.security.max-reviews-in-flight=" + BOUND,
        "--dra.agent.security.review-timeout=60s");
  }

  @AfterEach
  void stop() throws Exception {
    agent.close();
  }

  @Test
  void fiveHundredBadTokensAtOnce() throws Exception {
    assertThat(agent.get("/api/v1/plugins", "good").statusCode()).isEqualTo(200); // cached now
    AccessReviews reviews = agent.bean(AccessReviews.class);
    int reviewsBefore = agent.api.reviews().size();
    agent.api.delay(ANSWER_DELAY);

    HttpClient client =
        HttpClient.newBuilder()
            .sslContext(TestTls.trustingAnything())
            .connectTimeout(Duration.ofMinutes(2))
            .build();
    List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
    for (int i = 0; i < BURST; i++) {
      burst.add(
          client.sendAsync(
              HttpRequest.newBuilder(
                      URI.create("https://localhost:" + agent.port() + "/api/v1/plugins"))
                  .header("Authorization", "Bearer bad-token-" + i)
                  .timeout(Duration.ofMinutes(3))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    await().atMost(Duration.ofMinutes(2)).until(() -> reviews.inFlight() == BOUND);

    long probeStarted = System.nanoTime();
    int probe = agent.getManagement("/actuator/health/readiness", null).statusCode();
    long probeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - probeStarted);
    long cachedStarted = System.nanoTime();
    int cached = agent.get("/api/v1/plugins", "good").statusCode();
    long cachedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cachedStarted);
    int inFlightMeanwhile = reviews.inFlight();

    Map<Integer, Integer> statuses = new TreeMap<>();
    for (CompletableFuture<HttpResponse<String>> response : burst) {
      statuses.merge(response.get(3, TimeUnit.MINUTES).statusCode(), 1, Integer::sum);
    }
    List<ReviewApiServer.Review> during =
        agent.api.reviews().subList(reviewsBefore, agent.api.reviews().size());
    int mostAtOnce = ReviewApiServer.mostArrivalsWithin(during, ANSWER_DELAY.minusMillis(100));

    assertThat(probe).isEqualTo(200);
    assertThat(cached).isEqualTo(200);
    assertThat(mostAtOnce).as("reviews in flight at the API server").isLessThanOrEqualTo(BOUND);
    assertThat(statuses.keySet()).isSubsetOf(401, 503);
    assertThat(statuses.getOrDefault(401, 0)).isEqualTo(during.size());
    assertThat(during).allMatch(r -> r.kind().equals("token"));
    System.out.printf(
        "burst: %d requests with %d different bad tokens: at most %d reviews in flight at the API"
            + " server (bound %d), %d TokenReviews in all; answers %s; meanwhile readiness probe"
            + " %d in %d ms, a cached token's request %d in %d ms, with %d reviews still in"
            + " flight%n",
        BURST,
        BURST,
        mostAtOnce,
        BOUND,
        during.size(),
        statuses,
        probe,
        probeMillis,
        cached,
        cachedMillis,
        inFlightMeanwhile);
  }
}
