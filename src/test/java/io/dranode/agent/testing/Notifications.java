package io.dranode.agent.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every {@code NotifyRegistrationStatus} a {@link PluginRegistration} received, in order. */
public final class Notifications {

  /** How long {@link #next()} waits. */
  public static final Duration WAIT = Duration.ofSeconds(10);

  private static final Logger log = LoggerFactory.getLogger(Notifications.class);

  private final List<Consumer<Notification>> listeners = new CopyOnWriteArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition arrived = lock.newCondition();
  private final List<Notification> received = new ArrayList<>(); // guarded by lock
  private int taken; // guarded by lock

  Notifications() {}

  /**
   * Called on the transport thread as each notification arrives, before it is answered: it must not
   * block. Add listeners before serving to miss nothing.
   */
  public void listen(Consumer<Notification> listener) {
    listeners.add(listener);
  }

  public List<Notification> all() {
    return locked(() -> List.copyOf(received));
  }

  public int count() {
    return locked(received::size);
  }

  public Optional<Notification> last() {
    return locked(
        () ->
            received.isEmpty() ? Optional.empty() : Optional.of(received.get(received.size() - 1)));
  }

  /**
   * The oldest notification that no earlier call returned, waiting up to {@link #WAIT} for it.
   *
   * @throws AssertionError when none arrives in time
   */
  public Notification next() throws InterruptedException {
    Notification next = await(WAIT, () -> received.size() > taken ? received.get(taken++) : null);
    if (next == null) {
      throw new AssertionError("no NotifyRegistrationStatus within " + WAIT);
    }
    return next;
  }

  /** Waits until the last notification says registered; false when the time ran out. */
  public boolean awaitRegistered(Duration timeout) throws InterruptedException {
    return await(timeout, () -> last().filter(Notification::registered).orElse(null)) != null;
  }

  /**
   * When a {@code NotifyRegistrationStatus(true)} arrived after {@code afterNanos} (of {@link
   * System#nanoTime()}); waits up to {@code bound} for it.
   *
   * @throws IllegalStateException when none arrived in time
   */
  public long awaitRegisteredAfter(long afterNanos, Duration bound) throws InterruptedException {
    Notification registered = await(bound, () -> registeredAfter(afterNanos));
    if (registered == null) {
      throw new IllegalStateException("no NotifyRegistrationStatus(true) within " + bound);
    }
    return registered.receivedNanos();
  }

  /** How many {@code NotifyRegistrationStatus(true)} each socket received. */
  public Map<Path, Integer> registeredBySocket() {
    Map<Path, Integer> counts = new TreeMap<>();
    for (Notification n : all()) {
      if (n.registered()) {
        counts.merge(n.socket(), 1, Integer::sum);
      }
    }
    return counts;
  }

  void add(Notification notification) {
    locked(
        () -> {
          received.add(notification);
          arrived.signalAll();
          return null;
        });
    for (Consumer<Notification> listener : listeners) {
      try {
        listener.accept(notification);
      } catch (RuntimeException e) {
        log.warn("registration status listener failed", e);
      }
    }
  }

  /** The newest, looking back only as far as {@code afterNanos}: a long run keeps this short. */
  private @Nullable Notification registeredAfter(long afterNanos) {
    for (int i = received.size() - 1; i >= 0; i--) {
      Notification n = received.get(i);
      if (n.receivedNanos() <= afterNanos) {
        return null;
      }
      if (n.registered()) {
        return n;
      }
    }
    return null;
  }

  /** Evaluates {@code found} under the lock until it gives a value or the time runs out. */
  private <T> @Nullable T await(Duration timeout, Supplier<@Nullable T> found)
      throws InterruptedException {
    long remaining = timeout.toNanos();
    lock.lock();
    try {
      while (true) {
        T value = found.get();
        if (value != null || remaining <= 0) {
          return value;
        }
        remaining = arrived.awaitNanos(remaining);
      }
    } finally {
      lock.unlock();
    }
  }

  private <T> T locked(Supplier<T> body) {
    lock.lock();
    try {
      return body.get();
    } finally {
      lock.unlock();
    }
  }
}
