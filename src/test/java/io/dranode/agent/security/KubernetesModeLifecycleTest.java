package io.dranode.agent.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.config.ExecutorsConfig;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Invariant 5 (docs/ARCHITECTURE.md) in {@code kubernetes} mode: the context closes while reviews
 * are in flight at a slow API server; then no thread of ours is alive and no review of ours reaches
 * the API server.
 */
class KubernetesModeLifecycleTest {

  SecuredAgent agent;

  @BeforeEach
  void start() throws Exception {
    agent = new SecuredAgent();
    agent.start();
  }

  @AfterEach
  void stop() throws Exception {
    agent.close();
  }

  @Test
  void closingWhileReviewsAreInFlightLeavesNothingRunning() {
    AccessReviews reviews = agent.bean(AccessReviews.class);
    agent.api.delay(Duration.ofSeconds(30));
    for (int i = 0; i < 10; i++) {
      var unused =
          agent
              .http()
              .sendAsync(
                  HttpRequest.newBuilder(
                          URI.create("https://localhost:" + agent.port() + "/api/v1/plugins"))
                      .header("Authorization", "Bearer slow-" + i)
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
    }
    await().atMost(Duration.ofMinutes(1)).until(() -> reviews.inFlight() > 0);
    await().atMost(Duration.ofMinutes(1)).until(() -> !agent.api.reviews().isEmpty());

    long closing = System.nanoTime();
    agent.context().close();
    Duration took = Duration.ofNanos(System.nanoTime() - closing);
    int reviewsAtClose = agent.api.reviews().size();

    assertThat(took)
        .as("close does not sit out the slow API server")
        .isLessThan(Duration.ofSeconds(25));
    await().atMost(Duration.ofSeconds(5)).until(() -> ourLiveThreads().isEmpty());
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              assertThat(agent.api.reviews()).hasSize(reviewsAtClose);
              assertThat(ourLiveThreads()).isEmpty();
            });
  }

  private static List<String> ourLiveThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith(ExecutorsConfig.THREAD_PREFIX))
        .sorted()
        .toList();
  }
}
