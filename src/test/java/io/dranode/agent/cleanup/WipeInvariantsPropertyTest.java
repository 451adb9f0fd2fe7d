package io.dranode.agent.cleanup;

import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.PluginStore;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import org.jspecify.annotations.Nullable;

/**
 * docs/ARCHITECTURE.md, invariants 1, 3 and 4 under random sequences of register, connect,
 * disconnect, deregister and time steps, driven by the manual scheduler and clock through the real
 * store and the real pending-wipe state machine. The wipe itself is a recording fake (no API
 * server: each try takes microseconds); in the second property it fails while the "API" is down, so
 * invariant 7 is tried too. The expected outcome comes from a model kept here, not from the code
 * under test.
 */
@Tag("faults")
class WipeInvariantsPropertyTest {

  static final Duration DELAY = Duration.ofSeconds(30);
  static final Duration RETRY_MAX = Duration.ofMinutes(5);
  static final List<String> DRIVERS = List.of("a.example.com", "b.example.com", "c.example.com");
  static final int INSTANCES = 2;

  /** Never called: the fake wiper does not touch the API. Built once, cheaply, without a mock. */
  static final KubernetesClient NOWHERE =
      new KubernetesClientBuilder()
          .withConfig(new ConfigBuilder().withMasterUrl("http://127.0.0.1:1").build())
          .build();

  @AfterContainer
  static void closeClient() {
    NOWHERE.close();
  }

  /** A step of a driver's life, or of time. */
  sealed interface Step {}

  record Register(int driver, int instance) implements Step {}

  record Connect(int driver, int instance) implements Step {}

  record Disconnect(int driver, int instance) implements Step {}

  record Deregister(int driver, int instance) implements Step {}

  record Wait(int seconds) implements Step {}

  record ApiDown() implements Step {}

  record ApiUp() implements Step {}

  /** Invariants 1, 3 and 4 with a healthy API server. */
  @Property(tries = 200)
  void servedDriversAreNeverWipedAndAbsentOnesAreWipedInTime(@ForAll("lives") List<Step> steps) {
    new Run(false).play(steps);
  }

  /** The same, with the API failing at random: faults delay wipes, never drop them (7). */
  @Property(tries = 200)
  void apiFaultsDelayWipesButNeverDropThem(@ForAll("livesWithFaults") List<Step> steps) {
    Run run = new Run(true);
    run.play(steps);
    run.healAndDrain();
  }

  @Provide
  Arbitrary<List<Step>> lives() {
    return Arbitraries.oneOf(driverSteps(), waits()).list().ofMinSize(1).ofMaxSize(60);
  }

  @Provide
  Arbitrary<List<Step>> livesWithFaults() {
    Arbitrary<Step> faults = Arbitraries.of(new ApiDown(), new ApiUp());
    return Arbitraries.frequencyOf(
            Tuple.of(6, driverSteps()), Tuple.of(3, waits()), Tuple.of(1, faults))
        .list()
        .ofMinSize(1)
        .ofMaxSize(60);
  }

  private static Arbitrary<Step> driverSteps() {
    Arbitrary<Integer> driver = Arbitraries.integers().between(0, DRIVERS.size() - 1);
    Arbitrary<Integer> instance = Arbitraries.integers().between(0, INSTANCES - 1);
    return Arbitraries.oneOf(
        Combinators.combine(driver, instance).as(Register::new),
        Combinators.combine(driver, instance).as(Connect::new),
        Combinators.combine(driver, instance).as(Disconnect::new),
        Combinators.combine(driver, instance).as(Deregister::new));
  }

  private static Arbitrary<Step> waits() {
    // Short steps inside a grace period and long ones across it.
    return Arbitraries.oneOf(
        Arbitraries.integers().between(1, 10).map(Wait::new),
        Arbitraries.integers().between(25, 45).map(Wait::new));
  }

  /** One try: the system under test, the model, and the checks after every step. */
  static final class Run {
    final boolean faults;
    final List<String> violations = new ArrayList<>();
    final Map<String, Instant> lastWipe = new HashMap<>();
    final WipeHarness h;
    // The model: per driver, per instance, its connection; absent = not registered.
    final Map<String, Map<Integer, ConnectionState>> model = new HashMap<>();
    // When the driver last became unusable; null while it is served (usable or connecting).
    final Map<String, Instant> awaySince = new HashMap<>();
    boolean apiDown;
    // When the API last came back after being down; null if it never was.
    @Nullable Instant lastRecovery;

    Run(boolean faults) {
      this.faults = faults;
      AgentProperties properties =
          Slices.properties(
              FieldSelectors.CLIENT,
              "dra.agent.wipe.delay=" + DELAY.toMillis() + "ms",
              "dra.agent.wipe.retry-max=" + RETRY_MAX.toMillis() + "ms");
      h =
          new WipeHarness(
              NOWHERE, properties, (client, node, props) -> new Fake(client, node, props));
    }

    /** The wipe: records when it ran, and whether the model says the driver was served then. */
    final class Fake extends SliceWiper {
      Fake(KubernetesClient client, NodeIdentity node, AgentProperties properties) {
        super(client, node, properties, WipeHarness.DELETES);
      }

      @Override
      public Outcome wipe(String driver, boolean dryRun, BooleanSupplier stillWanted) {
        if (apiDown) {
          throw new RetryableWipeException("injected: API server down");
        }
        if (!stillWanted.getAsBoolean()) {
          return new Outcome(0, true);
        }
        if (served(driver)) {
          violations.add(
              "invariant 1: "
                  + driver
                  + " wiped while served "
                  + model.get(driver)
                  + " at "
                  + now());
        }
        lastWipe.put(driver, now());
        return new Outcome(1, false);
      }
    }

    void play(List<Step> steps) {
      for (Step step : steps) {
        apply(step);
        assertThat(violations).as("after %s in %s", step, steps).isEmpty();
      }
    }

    void apply(Step step) {
      if (step instanceof Register r) {
        String d = DRIVERS.get(r.driver());
        PluginStore.Outcome outcome =
            h.store.register(
                d, endpoint(r.driver(), r.instance()), socket(r), "v1.DRAPlugin", null);
        if (outcome instanceof PluginStore.Outcome.Registered) {
          update(d, r.instance(), ConnectionState.CONNECTING);
        }
      } else if (step instanceof Connect c) {
        connection(c.driver(), c.instance(), ConnectionState.CONNECTED);
      } else if (step instanceof Disconnect c) {
        connection(c.driver(), c.instance(), ConnectionState.DISCONNECTED);
      } else if (step instanceof Deregister r) {
        String d = DRIVERS.get(r.driver());
        if (h.store.deregister(d, endpoint(r.driver(), r.instance()), "test").isPresent()) {
          update(d, r.instance(), null);
        }
      } else if (step instanceof Wait w) {
        h.scheduler.advance(Duration.ofSeconds(w.seconds()));
        checkAbsentDriversWereWiped();
      } else if (step instanceof ApiDown) {
        apiDown = faults;
      } else if (step instanceof ApiUp) {
        heal();
      }
    }

    private void connection(int driver, int instance, ConnectionState state) {
      String d = DRIVERS.get(driver);
      if (h.store.setConnection(d, endpoint(driver, instance), state)) {
        update(d, instance, state);
      }
    }

    /** Applies a change to the model, then checks invariant 4 if the driver became usable. */
    private void update(String driver, int instance, @Nullable ConnectionState state) {
      boolean wasUsable = usable(driver);
      boolean wasServed = served(driver);
      Map<Integer, ConnectionState> instances = model.computeIfAbsent(driver, d -> new HashMap<>());
      if (state == null) {
        instances.remove(instance);
      } else {
        instances.put(instance, state);
      }
      if (wasServed && !served(driver)) {
        awaySince.put(driver, now());
      } else if (!wasServed && served(driver)) {
        awaySince.remove(driver);
      }
      if (!wasUsable && usable(driver) && h.wipes.pendingFor(driver).isPresent()) {
        violations.add("invariant 4: " + driver + " usable again but its wipe is still pending");
      }
    }

    /**
     * Invariant 3: a driver away for the grace period has been wiped since it went away. While the
     * API fails nothing can be asked; after it recovers, a retry scheduled during the outage may
     * still be one capped backoff interval (plus jitter) away.
     */
    void checkAbsentDriversWereWiped() {
      if (apiDown) {
        return;
      }
      for (Map.Entry<String, Instant> away : awaySince.entrySet()) {
        String driver = away.getKey();
        Instant since = away.getValue();
        Instant deadline = since.plus(DELAY);
        Instant recovered = lastRecovery;
        if (recovered != null && recovered.plus(RETRY_MAX).plusSeconds(1).isAfter(deadline)) {
          deadline = recovered.plus(RETRY_MAX).plusSeconds(1);
        }
        if (!now().isBefore(deadline)) {
          Instant wiped = lastWipe.get(driver);
          if (wiped == null || wiped.isBefore(since)) {
            violations.add(
                "invariant 3: "
                    + driver
                    + " away since "
                    + since
                    + ", not wiped by "
                    + now()
                    + " (last wipe "
                    + wiped
                    + ", pending "
                    + h.wipes.pendingFor(driver)
                    + ")");
          }
        }
      }
    }

    private void heal() {
      if (apiDown) {
        lastRecovery = now();
      }
      apiDown = false;
    }

    /** The API heals: within one grace period and one capped retry, every due wipe is done. */
    void healAndDrain() {
      heal();
      h.scheduler.advance(DELAY.plus(RETRY_MAX).plusSeconds(2));
      checkAbsentDriversWereWiped();
      assertThat(violations).isEmpty();
      for (String driver : awaySince.keySet()) {
        assertThat(h.wipes.pendingFor(driver)).as("pending wipe of %s", driver).isEmpty();
      }
    }

    private boolean usable(String driver) {
      return model.getOrDefault(driver, Map.of()).containsValue(ConnectionState.CONNECTED);
    }

    /** Usable or still connecting an instance: its slices are served. */
    private boolean served(String driver) {
      Map<Integer, ConnectionState> instances = model.getOrDefault(driver, Map.of());
      return instances.containsValue(ConnectionState.CONNECTED)
          || instances.containsValue(ConnectionState.CONNECTING);
    }

    private Instant now() {
      return h.clock.instant();
    }

    private static String endpoint(int driver, int instance) {
      return WipeHarness.endpoint(DRIVERS.get(driver), "i" + instance);
    }

    private static Path socket(Register r) {
      return Path.of(
          "/var/lib/kubelet/plugins_registry/d" + r.driver() + "-i" + r.instance() + ".sock");
    }
  }
}
