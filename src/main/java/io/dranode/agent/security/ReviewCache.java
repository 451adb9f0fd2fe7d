package io.dranode.agent.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Answers of one kind of review, reused for a while, like the kubelet's webhook caches: a grant for
 * {@code grantedTtl}, a refusal for the shorter {@code refusedTtl}. Identical questions asked while
 * one is in flight share its review. Grants and refusals are kept apart, each bounded to {@code
 * size} entries (least recently used leaves first), so refusals never push out grants. Failures are
 * not cached: a call that comes after a failure was answered asks again.
 */
final class ReviewCache<K, V> {

  private final Clock clock;
  private final int size;
  private final Predicate<V> granted;
  private final Duration grantedTtl;
  private final Duration refusedTtl;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<K, Entry<V>> grants = new LinkedHashMap<>(16, 0.75f, true); // guarded by lock
  private final Map<K, Entry<V>> refusals = new LinkedHashMap<>(16, 0.75f, true); // guarded by lock
  private final Map<K, CompletableFuture<V>> inFlight = new HashMap<>(); // guarded by lock

  private record Entry<V>(V value, Instant expires) {}

  ReviewCache(
      Clock clock, int size, Predicate<V> granted, Duration grantedTtl, Duration refusedTtl) {
    this.clock = clock;
    this.size = size;
    this.granted = granted;
    this.grantedTtl = grantedTtl;
    this.refusedTtl = refusedTtl;
  }

  /**
   * The cached answer, the review in flight for the same key, or a new one from {@code review},
   * which is called under this cache's lock and must only start the review, not wait for it.
   */
  CompletableFuture<V> get(K key, Supplier<CompletableFuture<V>> review) {
    lock.lock();
    try {
      Instant now = clock.instant();
      V cached = fresh(grants, key, now);
      if (cached == null) {
        cached = fresh(refusals, key, now);
      }
      if (cached != null) {
        return CompletableFuture.completedFuture(cached);
      }
      CompletableFuture<V> shared = inFlight.get(key);
      if (shared != null && !shared.isDone()) {
        return shared.copy();
      }
      if (shared != null) {
        // Answered, but not settled yet: its first caller may be served before settle() runs.
        @Nullable V answered = shared.isCompletedExceptionally() ? null : shared.join();
        settle(key, shared, answered);
        if (answered != null) {
          return CompletableFuture.completedFuture(answered);
        }
      }
      CompletableFuture<V> started = review.get();
      inFlight.put(key, started);
      var unused =
          started.whenComplete(
              (value, failure) -> settle(key, started, failure == null ? value : null));
      return started.copy();
    } finally {
      lock.unlock();
    }
  }

  /** Answers kept now, grants and refusals, expired ones included until they are looked up. */
  int cached() {
    lock.lock();
    try {
      return grants.size() + refusals.size();
    } finally {
      lock.unlock();
    }
  }

  private void settle(K key, CompletableFuture<V> review, @Nullable V value) {
    lock.lock();
    try {
      inFlight.remove(key, review);
      if (value == null) {
        return;
      }
      boolean grant = granted.test(value);
      Map<K, Entry<V>> into = grant ? grants : refusals;
      (grant ? refusals : grants).remove(key);
      into.put(key, new Entry<>(value, clock.instant().plus(grant ? grantedTtl : refusedTtl)));
      Iterator<K> eldest = into.keySet().iterator();
      while (into.size() > size) {
        eldest.next();
        eldest.remove();
      }
    } finally {
      lock.unlock();
    }
  }

  private static <K, V> @Nullable V fresh(Map<K, Entry<V>> entries, K key, Instant now) {
    Entry<V> entry = entries.get(key);
    if (entry == null) {
      return null;
    }
    if (!now.isBefore(entry.expires())) {
      entries.remove(key);
      return null;
    }
    return entry.value();
  }
}
