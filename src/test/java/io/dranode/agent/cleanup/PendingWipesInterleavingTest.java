package io.dranode.agent.cleanup;

import com.vmlens.api.AllInterleavings;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.testing.Stores;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Data races and lost updates between the plugin store and the pending wipes: checked under VMLens
 * with {@code -Prace}, run once each as plain tests otherwise. How the race check works and why
 * these tests stay this small: the javadoc of {@code PluginStoreInterleavingTest} (package {@code
 * io.dranode.agent.plugin}).
 */
@Tag("interleaving")
class PendingWipesInterleavingTest {

  static final String A = "driver-a.example.com";
  static final AgentProperties PROPERTIES = Slices.properties(FieldSelectors.CLIENT);
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  /**
   * Keeps scheduled tasks for the test to run on a thread of its choice. No lock of its own: {@link
   * PendingWipes} schedules and cancels only under its lock, and VMLens reports a race on this list
   * if it ever does not.
   */
  static final class Tasks implements AgentScheduler {
    final List<Runnable> queued = new ArrayList<>();

    @Override
    public Cancellable schedule(Runnable task, Instant at) {
      queued.add(task);
      return () -> queued.remove(task);
    }

    @Override
    public Cancellable scheduleAfter(Runnable task, Duration delay) {
      return schedule(task, CLOCK.instant().plus(delay));
    }

    Runnable takeOnly() {
      if (queued.size() != 1) {
        throw new AssertionError("expected one scheduled task, got " + queued.size());
      }
      return queued.remove(0);
    }
  }

  /** The cleanup without an API server: the wiper counts what it would delete. */
  static final class Wiring {
    final Tasks tasks = new Tasks();
    final WipeHistory history = new WipeHistory();
    final PendingWipes wipes;
    final PluginStore store;
    int deletes; // written by the wiping thread only, read after it was joined

    @SuppressWarnings("NullAway") // no client and no node: this wiper never calls the API
    Wiring() {
      EventBus events = new EventBus();
      SliceWiper counting =
          new SliceWiper(null, null, PROPERTIES, Runnable::run) {
            @Override
            public Outcome wipe(String driver, boolean dryRun, BooleanSupplier stillWanted) {
              if (!stillWanted.getAsBoolean()) {
                return new Outcome(0, true);
              }
              deletes++;
              return new Outcome(1, false);
            }
          };
      wipes = new PendingWipes(tasks, counting, history, events, CLOCK, PROPERTIES);
      store = new PluginStore(events, CLOCK, List.of(wipes));
      wipes.start();
    }

    void register(String instance) {
      store.register(A, endpoint(instance), Path.of("/reg/" + instance + ".sock"), "v1", null);
    }

    void connection(String instance, ConnectionState state) {
      store.setConnection(A, endpoint(instance), state);
    }

    void deregister(String instance) {
      store.deregister(A, endpoint(instance), "test");
    }

    static String endpoint(String instance) {
      return "/plugins/" + instance + ".sock";
    }

    /** The invariant that every interleaving must end in: a wipe is pending iff A is not served. */
    void assertConsistent() {
      boolean served = store.liveDrivers().contains(A);
      boolean pending = wipes.pendingFor(A).isPresent();
      if (pending == served) {
        throw new AssertionError("A served=" + served + " but wipe pending=" + pending);
      }
    }
  }

  private static void runBoth(Runnable first, Runnable second) throws InterruptedException {
    Thread one = new Thread(first);
    Thread two = new Thread(second);
    one.start();
    two.start();
    one.join();
    two.join();
  }

  /** The registrar registers and connects an instance while the registry watcher removes it. */
  @Test
  void registrationRacesWithDeregistration() throws InterruptedException {
    try (AllInterleavings all =
        new AllInterleavings("store and wipes: register+connect | deregister")) {
      while (all.hasNext()) {
        Wiring w = new Wiring();
        runBoth(
            () -> {
              w.register("a1");
              w.connection("a1", ConnectionState.CONNECTED);
            },
            () -> w.deregister("a1"));
        w.assertConsistent();
      }
    }
  }

  /**
   * A due wipe fires on the scheduler while the driver registers again and connects. Whatever the
   * order, the driver ends usable, no wipe stays pending, and the history tells the truth about the
   * deletes that happened (a delete in flight cannot be taken back). A plain test only: too slow
   * under VMLens (race.tests in the pom, and PluginStoreInterleavingTest's javadoc).
   */
  @Test
  void wipeFiresWhileARegistrationArrives() throws InterruptedException {
    try (AllInterleavings all =
        new AllInterleavings("store and wipes: wipe fires | register+connect")) {
      while (all.hasNext()) {
        Wiring w = new Wiring();
        w.register("a1");
        w.connection("a1", ConnectionState.CONNECTED);
        w.deregister("a1"); // a wipe is pending now
        Runnable due = w.tasks.takeOnly();

        runBoth(
            due,
            () -> {
              w.register("a2");
              w.connection("a2", ConnectionState.CONNECTED);
            });

        if (!Stores.usable(w.store, A)) {
          throw new AssertionError("a2 registered and connected, yet A is not usable");
        }
        w.assertConsistent();
        List<WipeRecord> recent = w.history.recent();
        if (recent.size() > 1) {
          throw new AssertionError("one wipe, at most one record; got " + recent);
        }
        int recorded = recent.isEmpty() ? 0 : recent.get(0).deleted();
        if (recorded != w.deletes
            || (!recent.isEmpty() && recent.get(0).result() == WipeRecord.Result.FAILED)) {
          throw new AssertionError(recent + " but " + w.deletes + " delete(s) happened");
        }
      }
    }
  }

  /** An orphan sweep's request racing with the driver's registration: the registration wins. */
  @Test
  void sweepRequestRacesWithARegistration() throws InterruptedException {
    try (AllInterleavings all =
        new AllInterleavings("store and wipes: sweep request | register+connect")) {
      while (all.hasNext()) {
        Wiring w = new Wiring();
        runBoth(
            () -> {
              if (!w.store.liveDrivers().contains(A)) {
                w.wipes.request(A, WipeCause.ORPHANED, "sweep", CLOCK.instant());
              }
            },
            () -> {
              w.register("a1");
              w.connection("a1", ConnectionState.CONNECTED);
            });
        if (!Stores.usable(w.store, A)) {
          throw new AssertionError("A registered and connected, yet not usable");
        }
        w.assertConsistent();
      }
    }
  }
}
