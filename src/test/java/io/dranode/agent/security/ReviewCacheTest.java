package io.dranode.agent.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The window between a review's answer and the cache's bookkeeping of it: a review's first caller
 * may be served, and call again, before the cache has settled the answer. The test holds that
 * bookkeeping back (a future whose completion actions run when the test says).
 */
class ReviewCacheTest {

  final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T00:00:00Z"));
  final ReviewCache<String, String> cache =
      new ReviewCache<>(
          clock, 10, "granted"::equals, Duration.ofMinutes(2), Duration.ofSeconds(10));
  final List<HeldFuture> started = new ArrayList<>();

  CompletableFuture<String> ask() {
    return cache.get(
        "key",
        () -> {
          HeldFuture review = new HeldFuture();
          started.add(review);
          return review;
        });
  }

  @Test
  void aCallAfterAFailureWasAnsweredAsksAgainEvenBeforeTheCacheHasSettledIt() {
    CompletableFuture<String> first = ask();
    started.get(0).completeExceptionally(new ReviewFailure("down", ReviewFailure.Cause.NO_ANSWER));

    CompletableFuture<String> second = ask();

    assertThat(first).isCompletedExceptionally();
    assertThat(started).hasSize(2);
    assertThat(second).isNotDone();
    started.get(0).settle();
    started.get(1).complete("granted");
    started.get(1).settle();
    assertThat(second).isCompletedWithValue("granted");
  }

  @Test
  void anAnswerNotSettledYetIsReusedAndKept() {
    CompletableFuture<String> first = ask();
    started.get(0).complete("granted");

    assertThat(ask()).isCompletedWithValue("granted");
    started.get(0).settle();
    assertThat(ask()).isCompletedWithValue("granted");

    assertThat(first).isCompletedWithValue("granted");
    assertThat(started).hasSize(1);
    assertThat(cache.cached()).isEqualTo(1);
  }

  @Test
  void aQuestionInFlightIsShared() {
    CompletableFuture<String> first = ask();
    CompletableFuture<String> second = ask();

    started.get(0).complete("refused");
    started.get(0).settle();

    assertThat(started).hasSize(1);
    assertThat(first).isCompletedWithValue("refused");
    assertThat(second).isCompletedWithValue("refused");
  }

  /**
   * A future whose {@code whenComplete} actions (the cache's settling) wait for {@link #settle}.
   */
  static final class HeldFuture extends CompletableFuture<String> {
    private final List<BiConsumer<? super String, ? super Throwable>> held = new ArrayList<>();
    private @Nullable Throwable failure;

    @Override
    public boolean completeExceptionally(Throwable failure) {
      this.failure = failure;
      return super.completeExceptionally(failure);
    }

    @Override
    public CompletableFuture<String> whenComplete(
        BiConsumer<? super String, ? super Throwable> action) {
      held.add(action);
      return this;
    }

    void settle() {
      @Nullable String value = failure == null ? join() : null;
      held.forEach(action -> action.accept(value, failure));
    }
  }
}
