package io.dranode.agent.cleanup;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.vmlens.api.AllInterleavings;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.PluginStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Data races and lost updates between the plugin store and the pending wipes. With {@code -Prace}
 * these run under the VMLens agent (an execution of its own, see the pom), where {@link
 * AllInterleavings} runs each body in every thread interleaving that matters and the build fails on
 * any data race, the Java answer to {@code go test -race}. In the normal runs, without the agent,
 * each body runs once as a plain test and its end-state checks still apply.
 *
 * <p>Two threads, a few operations each: VMLens explores interleavings exhaustively, so small is
 * what keeps it tractable. The checks are plain {@code if}s rather than AssertJ, to keep the code
 * that runs under the agent small.
 */
@Tag("interleaving")
class PendingWipesInterleavingTest {

  static final String A = "driver-a.example.com";
  static final AgentProperties PROPERTIES = Slices.properties(FieldSelectors.CLIENT);

  /**
   * Logging takes the appender's locks on every line: under VMLens each of those is one more
   * synchronization action to interleave, for nothing we want to check. Silenced for these tests.
   */
  @BeforeAll
  static void quietLogs() {
    ((Logger) LoggerFactory.getLogger("io.dranode.agent")).setLevel(Level.OFF);
  }

  @AfterAll
  static void restoreLogs() {
    ((Logger) LoggerFactory.getLogger("io.dranode.agent")).setLevel(null);
  }

  /** The cleanup without an API server: the wiper only counts what it would delete. */
  static final class Wiring {
    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    final ManualWipeScheduler scheduler = new ManualWipeScheduler(clock);
    final AtomicInteger deletes = new AtomicInteger();
    final PendingWipes wipes;
    final PluginStore store;

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
              deletes.incrementAndGet();
              return new Outcome(1, false);
            }
          };
      wipes = new PendingWipes(scheduler, counting, events, clock, PROPERTIES);
      store = new PluginStore(events, clock, List.of(wipes));
      wipes.start();
    }

    void register(String instance) {
      store.register(
          A, endpoint(instance), Path.of("/reg/" + instance + ".sock"), "v1.DRAPlugin", null);
    }

    void connection(String instance, ConnectionState state) {
      store.setConnection(A, endpoint(instance), state);
    }

    void deregister(String instance) {
      store.deregister(A, endpoint(instance), "test");
    }

    static String endpoint(String instance) {
      return "/var/lib/kubelet/plugins/" + instance + ".sock";
    }

    /**
     * The invariant that every interleaving must end in: a wipe is pending iff A is not served.
     * Plain checks, not AssertJ, inside the loop: less instrumented code to run per interleaving.
     */
    void assertConsistent() {
      boolean served = store.servedDrivers().contains(A);
      boolean pending = wipes.pendingFor(A).isPresent();
      if (pending == served) {
        throw new AssertionError("A served=" + served + " but wipe pending=" + pending);
      }
    }
  }

  /** The registrar registers and connects an instance while the registry watcher removes it. */
  @Test
  void registrationRacesWithDeregistration() throws InterruptedException {
    try (AllInterleavings all =
        new AllInterleavings("store and wipes: register against deregister")) {
      while (all.hasNext()) {
        Wiring w = new Wiring();
        Thread registrar =
            new Thread(
                () -> {
                  w.register("a1");
                  w.connection("a1", ConnectionState.CONNECTED);
                });
        Thread watcher = new Thread(() -> w.deregister("a1"));
        registrar.start();
        watcher.start();
        registrar.join();
        watcher.join();

        w.assertConsistent();
      }
    }
  }

  /**
   * Rolling update: the old instance's connection drops while the new instance registers and
   * connects. Whatever the order, the driver ends usable with no wipe pending.
   */
  @Test
  void disconnectRacesWithANewInstance() throws InterruptedException {
    try (AllInterleavings all =
        new AllInterleavings("store and wipes: disconnect against new instance")) {
      while (all.hasNext()) {
        Wiring w = new Wiring();
        w.register("old");
        w.connection("old", ConnectionState.CONNECTED);
        Thread monitor = new Thread(() -> w.connection("old", ConnectionState.DISCONNECTED));
        Thread registrar =
            new Thread(
                () -> {
                  w.register("new");
                  w.connection("new", ConnectionState.CONNECTED);
                });
        monitor.start();
        registrar.start();
        monitor.join();
        registrar.join();

        if (!w.store.isUsable(A)) {
          throw new AssertionError("the new instance is connected, yet A is not usable");
        }
        w.assertConsistent();
      }
    }
  }

  /** A due wipe fires on the scheduler while the driver registers again and connects. */
  @Test
  void wipeFiresWhileARegistrationArrives() throws InterruptedException {
    try (AllInterleavings all =
        new AllInterleavings("store and wipes: wipe fires during registration")) {
      while (all.hasNext()) {
        Wiring w = new Wiring();
        w.register("a1");
        w.connection("a1", ConnectionState.CONNECTED);
        w.deregister("a1"); // a wipe is pending now
        Runnable due = w.scheduler.takeNext();

        Thread scheduler = new Thread(due);
        Thread registrar =
            new Thread(
                () -> {
                  w.register("a2");
                  w.connection("a2", ConnectionState.CONNECTED);
                });
        scheduler.start();
        registrar.start();
        scheduler.join();
        registrar.join();

        w.assertConsistent();
        List<WipeRecord> recent = w.wipes.recent();
        if (recent.size() != 1) {
          throw new AssertionError("one wipe, one record; got " + recent);
        }
        // A delete in flight cannot be taken back; the history must still tell the truth.
        WipeRecord record = recent.get(0);
        if (record.result() == WipeRecord.Result.FAILED || record.deleted() != w.deletes.get()) {
          throw new AssertionError(record + " but " + w.deletes.get() + " delete(s) happened");
        }
      }
    }
  }

  /** An orphan sweep's request racing with the driver's registration: the registration wins. */
  @Test
  void sweepRequestRacesWithARegistration() throws InterruptedException {
    try (AllInterleavings all =
        new AllInterleavings("store and wipes: sweep against registration")) {
      while (all.hasNext()) {
        Wiring w = new Wiring();
        Thread sweep =
            new Thread(
                () -> {
                  if (!w.store.servedDrivers().contains(A)) {
                    w.wipes.request(A, "sweep", w.clock.instant());
                  }
                });
        Thread registrar =
            new Thread(
                () -> {
                  w.register("a1");
                  w.connection("a1", ConnectionState.CONNECTED);
                });
        sweep.start();
        registrar.start();
        sweep.join();
        registrar.join();

        if (!w.store.isUsable(A)) {
          throw new AssertionError("A registered and connected, yet not usable");
        }
        w.assertConsistent();
      }
    }
  }
}
