package io.dranode.agent.cleanup;

import static io.dranode.agent.cleanup.Slices.NODE;
import static io.dranode.agent.cleanup.Slices.OTHER_NODE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.cleanup.FaultyApiServer.Fault;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.PluginStore;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * docs/ARCHITECTURE.md, invariants 1, 2, 3 and 7 under 23 minutes of driven time against an API
 * server that fails in every way we know of, one fault per phase: HTTP 500, 503, 429 with
 * Retry-After, answers later than the client's request timeout, 409 on deletes, slow answers, a
 * closed port, then all of them mixed at random; the slice watch is dropped every 15 driven seconds
 * throughout. Meanwhile four drivers come and go at random (seeded) and two stay. Checked at every
 * step: the server never deletes a slice of a served driver or of another node (checked inside the
 * server, while it handles the delete); while the API is healthy, a driver away for the grace
 * period has been wiped; the store answers at once whatever the API does. At the end: every due
 * wipe has completed, none failed for good, and the informer's cache agrees with the server.
 *
 * <p>Time: the wipes run on the manual scheduler, the Kubernetes client and the informer in real
 * time (about 15 s of real time for the whole run, most of it in answers that time out).
 */
@Tag("faults")
class ApiFaultsSoakTest {

  static final long SEED = 20261127L;
  static final Duration DELAY = Duration.ofSeconds(30);
  static final Duration RETRY_MAX = Duration.ofMinutes(5);
  static final Duration REQUEST_TIMEOUT = Duration.ofMillis(250);
  static final Duration STEP = Duration.ofSeconds(1);
  static final Duration DROP_EVERY = Duration.ofSeconds(15);

  static final List<String> STAYING = List.of("stay-a.example.com", "stay-b.example.com");
  static final List<String> CHURNING =
      List.of(
          "churn-1.example.com",
          "churn-2.example.com",
          "churn-3.example.com",
          "churn-4.example.com");

  /** A fault and how long (driven time) it lasts. */
  record Phase(Fault fault, Duration length) {}

  static final List<Phase> PHASES =
      List.of(
          new Phase(Fault.NONE, Duration.ofSeconds(120)),
          new Phase(Fault.HTTP_500, Duration.ofSeconds(90)),
          new Phase(Fault.SLOW, Duration.ofSeconds(60)),
          new Phase(Fault.HTTP_503, Duration.ofSeconds(90)),
          new Phase(Fault.HTTP_429, Duration.ofSeconds(90)),
          new Phase(Fault.TIMEOUT, Duration.ofSeconds(60)),
          new Phase(Fault.CONFLICT_ON_DELETE, Duration.ofSeconds(90)),
          new Phase(Fault.NONE, Duration.ofSeconds(60)),
          new Phase(Fault.REFUSED, Duration.ofSeconds(120)),
          new Phase(Fault.MIXED, Duration.ofSeconds(180)),
          // Longer than one grace period plus the capped backoff: every due wipe completes.
          new Phase(Fault.NONE, Duration.ofSeconds(420)));

  /** Where a churning driver is in its life. */
  enum Life {
    USABLE,
    CONNECTING,
    DISCONNECTED,
    GONE;

    boolean served() {
      return this == USABLE || this == CONNECTING;
    }
  }

  private final Random random = new Random(SEED);
  private final Map<String, Life> life = new ConcurrentHashMap<>();
  private final Map<String, Instant> awaySince = new TreeMap<>();
  private final Map<String, Instant> nextAction = new TreeMap<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();
  private final Map<String, String> sliceOwner = new ConcurrentHashMap<>(); // name -> driver@node
  private final Map<Fault, Set<String>> errorsSeen = new EnumMap<>(Fault.class);
  private @Nullable FaultyApiServer api;
  private @Nullable KubernetesClient agentClient;
  private @Nullable KubernetesClient adminClient;
  private @Nullable KubernetesClient informerClient;
  private @Nullable SliceInventory inventory;
  private @Nullable Instant lastRecovery;
  private long slowestStoreNanos;

  @AfterEach
  void close() {
    if (inventory != null) {
      inventory.stop();
    }
    if (agentClient != null) {
      agentClient.close();
    }
    if (adminClient != null) {
      adminClient.close();
    }
    if (informerClient != null) {
      informerClient.close();
    }
    if (api != null) {
      api.close();
    }
  }

  @Test
  void wipesSurviveEveryApiFaultAndNeverTouchWhatIsServedOrElsewhere() {
    FaultyApiServer server =
        new FaultyApiServer(
            REQUEST_TIMEOUT.plusMillis(350), Duration.ofMillis(60), SEED, this::checkDelete);
    api = server;
    KubernetesClient agent = server.agentClient(REQUEST_TIMEOUT, false);
    agentClient = agent;
    KubernetesClient informerClient = server.agentClient(REQUEST_TIMEOUT, true);
    this.informerClient = informerClient;
    AgentProperties properties =
        Slices.properties(
            FieldSelectors.CLIENT,
            "dra.agent.wipe.delay=" + DELAY.toMillis() + "ms",
            "dra.agent.wipe.retry-max=" + RETRY_MAX.toMillis() + "ms");
    WipeHarness h = new WipeHarness(agent, properties);
    SliceInventory slices = new SliceInventory(informerClient, properties);
    inventory = slices;
    KubernetesClient admin = server.adminClient();
    adminClient = admin;
    admin.nodes().resource(Slices.node(NODE)).create();
    for (String driver : concat(STAYING, CHURNING)) {
      publish(admin, driver, NODE);
      publish(admin, driver, OTHER_NODE);
      h.connected(driver, "i0");
      life.put(driver, Life.USABLE);
    }
    slices.start();
    for (String driver : CHURNING) {
      nextAction.put(driver, h.clock.instant().plusSeconds(5 + random.nextInt(30)));
    }

    Instant start = h.clock.instant();
    Instant nextDrop = start.plus(DROP_EVERY);
    for (Phase phase : PHASES) {
      boolean wasHealthy = healthy(server.fault());
      server.inject(phase.fault());
      if (!wasHealthy && healthy(phase.fault())) {
        lastRecovery = h.clock.instant();
      }
      Instant end = h.clock.instant().plus(phase.length());
      while (h.clock.instant().isBefore(end)) {
        churn(h, server, admin);
        if (!h.clock.instant().isBefore(nextDrop)) {
          dropWatch(server);
          nextDrop = nextDrop.plus(DROP_EVERY);
        }
        h.scheduler.advance(STEP);
        inspect(h, slices);
        if (healthy(phase.fault())) {
          checkAbsentDriversWereWiped(h);
        }
        assertThat(violations).as("at %s in phase %s", h.clock.instant(), phase).isEmpty();
      }
      h.wipes.pending().stream()
          .map(PendingWipe::lastError)
          .filter(e -> e != null)
          .forEach(e -> errorsSeen.computeIfAbsent(phase.fault(), f -> new TreeSet<>()).add(e));
    }

    report(h, server, start);
    assertThat(h.clock.instant()).isEqualTo(start.plus(Duration.ofSeconds(1380)));
    // Invariant 7: faults delayed wipes; none was dropped, none gave up.
    assertThat(h.history.finished(WipeRecord.Result.FAILED)).isZero();
    assertThat(h.history.finished(WipeRecord.Result.DELETED)).isPositive();
    assertThat(h.history.finished(WipeRecord.Result.CANCELLED)).isPositive();
    Set<String> left = names(admin);
    for (String driver : concat(STAYING, CHURNING)) {
      Life now = lifeOf(driver);
      assertThat(left).as("other node's slice of %s", driver).contains(name(driver, OTHER_NODE));
      if (now == Life.USABLE) {
        assertThat(left).as("slice of usable %s", driver).contains(name(driver, NODE));
      } else if (!now.served()) {
        Instant since = Objects.requireNonNull(awaySince.get(driver));
        if (!h.clock.instant().isBefore(since.plus(DELAY))) {
          assertThat(left).as("slice of absent %s", driver).doesNotContain(name(driver, NODE));
          assertThat(h.wipes.pendingFor(driver)).as("pending wipe of %s", driver).isEmpty();
        } else {
          // Went away less than a grace period ago: its wipe waits, it is not lost.
          assertThat(h.wipes.pendingFor(driver)).as("pending wipe of %s", driver).isPresent();
        }
      }
    }
    // The informer went through every drop and fault and agrees with the server.
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> assertThat(sliceNames(slices.byDriver())).isEqualTo(namesOn(admin, NODE)));
    assertThat(slices.synced()).isTrue();
    assertThat(server.droppedWatches()).isGreaterThanOrEqualTo(20);
    assertThat(server.watchRequests()).isGreaterThan(server.droppedWatches());
    // The store never waited for the API: registration and inspection stayed in-memory.
    assertThat(Duration.ofNanos(slowestStoreNanos)).isLessThan(Duration.ofMillis(200));
    for (Fault fault :
        List.of(
            Fault.HTTP_500,
            Fault.HTTP_503,
            Fault.HTTP_429,
            Fault.TIMEOUT,
            Fault.CONFLICT_ON_DELETE,
            Fault.REFUSED)) {
      assertThat(errorsSeen.get(fault)).as("wipe errors seen during %s", fault).isNotEmpty();
    }
    // A closed port is named as such, not as the JDK's innermost ClosedChannelException.
    assertThat(errorsSeen.get(Fault.REFUSED))
        .allSatisfy(e -> assertThat(e).contains("cannot connect to the API server"));
  }

  /** Called by the server while it deletes: invariants 1 and 2. */
  private void checkDelete(String name) {
    String owner = sliceOwner.get(name);
    if (owner == null) {
      violations.add("deleted unknown slice " + name);
      return;
    }
    String driver = owner.substring(0, owner.indexOf('@'));
    String node = owner.substring(owner.indexOf('@') + 1);
    if (!NODE.equals(node)) {
      violations.add("invariant 2: deleted " + name + " of node " + node);
    }
    Life now = life.get(driver);
    if (now != null && now.served()) {
      violations.add("invariant 1: deleted " + name + " of " + driver + " while " + now);
    }
  }

  /** Random lives of the churning drivers; a driver that becomes usable republishes its slice. */
  private void churn(WipeHarness h, FaultyApiServer server, KubernetesClient admin) {
    Instant now = h.clock.instant();
    for (String driver : CHURNING) {
      if (Objects.requireNonNull(nextAction.get(driver)).isAfter(now)) {
        continue;
      }
      Life before = lifeOf(driver);
      Life after =
          switch (before) {
            case USABLE -> random.nextBoolean() ? Life.DISCONNECTED : Life.GONE;
            case DISCONNECTED -> random.nextBoolean() ? Life.USABLE : Life.GONE;
            case GONE -> Life.CONNECTING;
            case CONNECTING -> random.nextInt(10) < 7 ? Life.USABLE : Life.GONE;
          };
      timed(() -> apply(h, driver, before, after));
      life.put(driver, after);
      if (before.served() && !after.served()) {
        awaySince.put(driver, now);
      } else if (!before.served() && after.served()) {
        awaySince.remove(driver);
      }
      if (after == Life.USABLE) {
        assertThat(h.wipes.pendingFor(driver)).as("invariant 4: %s usable", driver).isEmpty();
        if (server.up() && !names(admin).contains(name(driver, NODE))) {
          publish(admin, driver, NODE); // as the driver library does after its sync delay
        }
      }
      nextAction.put(driver, now.plusSeconds(3 + random.nextInt(68)));
    }
  }

  private static boolean apply(WipeHarness h, String driver, Life before, Life after) {
    String endpoint = WipeHarness.endpoint(driver, "i0");
    switch (after) {
      case USABLE -> h.connection(driver, "i0", ConnectionState.CONNECTED);
      case DISCONNECTED -> h.connection(driver, "i0", ConnectionState.DISCONNECTED);
      case CONNECTING -> {
        PluginStore.Outcome outcome =
            h.store.register(
                driver,
                endpoint,
                Path.of("/var/lib/kubelet/plugins_registry/" + driver + "-reg.sock"),
                "v1.DRAPlugin",
                null);
        assertThat(outcome).isInstanceOf(PluginStore.Outcome.Registered.class);
      }
      case GONE -> assertThat(h.store.deregister(driver, endpoint, "went away")).isPresent();
    }
    return before != after;
  }

  /** Every inspection the APIs make, timed: none may wait for the API server. */
  private void inspect(WipeHarness h, SliceInventory slices) {
    timed(h.store::drivers);
    timed(h.wipes::pending);
    timed(h.history::recent);
    timed(slices::byDriver);
    timed(slices::synced);
  }

  private <T> T timed(Supplier<T> call) {
    long started = System.nanoTime();
    T result = call.get();
    slowestStoreNanos = Math.max(slowestStoreNanos, System.nanoTime() - started);
    return result;
  }

  /** Drops the slice watch; while the API is healthy, waits for the informer to re-open it. */
  private void dropWatch(FaultyApiServer server) {
    if (healthy(server.fault())) {
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> server.openWatches() > 0);
    }
    server.dropWatches();
  }

  /**
   * Invariant 3 while the API is healthy: a driver away for the grace period has been wiped since
   * it went away. After an outage, a retry scheduled during it may be one capped interval away.
   */
  private void checkAbsentDriversWereWiped(WipeHarness h) {
    Instant now = h.clock.instant();
    for (Map.Entry<String, Instant> away : awaySince.entrySet()) {
      Instant deadline = away.getValue().plus(DELAY);
      if (lastRecovery != null && lastRecovery.plus(RETRY_MAX).plusSeconds(1).isAfter(deadline)) {
        deadline = lastRecovery.plus(RETRY_MAX).plusSeconds(1);
      }
      if (now.isBefore(deadline)) {
        continue;
      }
      String driver = away.getKey();
      boolean wiped =
          h.history.recent().stream()
              .anyMatch(
                  r ->
                      r.driver().equals(driver)
                          && r.result() == WipeRecord.Result.DELETED
                          && !r.finishedAt().isBefore(away.getValue()));
      if (!wiped) {
        violations.add(
            "invariant 3: "
                + driver
                + " away since "
                + away.getValue()
                + " not wiped by "
                + now
                + "; pending: "
                + h.wipes.pendingFor(driver));
      }
    }
  }

  private Life lifeOf(String driver) {
    return Objects.requireNonNull(life.get(driver), driver);
  }

  private static boolean healthy(Fault fault) {
    return fault == Fault.NONE || fault == Fault.SLOW;
  }

  private void report(WipeHarness h, FaultyApiServer server, Instant start) {
    Map<String, Long> byOutcome = new LinkedHashMap<>();
    for (String line : server.log()) {
      String outcome = line.substring(line.indexOf(" -> ") + 4);
      byOutcome.merge(outcome, 1L, Long::sum);
    }
    System.out.printf(
        "API fault soak: %s driven; wipes deleted=%d cancelled=%d failed=%d; slices deleted=%d;"
            + " agent requests=%d, faulted=%d, by outcome=%s; watches dropped=%d, watch"
            + " requests=%d, expired (410)=%d; slowest store call=%.1f ms; wipe errors by phase=%s%n",
        Duration.between(start, h.clock.instant()),
        h.history.finished(WipeRecord.Result.DELETED),
        h.history.finished(WipeRecord.Result.CANCELLED),
        h.history.finished(WipeRecord.Result.FAILED),
        h.history.deletedTotal(),
        server.log().size(),
        server.faulted(),
        byOutcome,
        server.droppedWatches(),
        server.watchRequests(),
        server.expiredWatches(),
        slowestStoreNanos / 1e6,
        errorsSeen);
  }

  private void publish(KubernetesClient admin, String driver, String node) {
    String name = name(driver, node);
    sliceOwner.put(name, driver + "@" + node);
    Slices.create(admin, Slices.slice(name, node, driver));
  }

  private static String name(String driver, String node) {
    return driver.substring(0, driver.indexOf('.')) + "--" + node;
  }

  private static Set<String> names(KubernetesClient admin) {
    return Slices.names(admin);
  }

  private static Set<String> namesOn(KubernetesClient admin, String node) {
    Set<String> names = new TreeSet<>();
    for (ResourceSlice slice : admin.resources(ResourceSlice.class).list().getItems()) {
      if (node.equals(slice.getSpec().getNodeName())) {
        names.add(slice.getMetadata().getName());
      }
    }
    return names;
  }

  private static Set<String> sliceNames(Map<String, List<ResourceSlice>> byDriver) {
    Set<String> names = new TreeSet<>();
    byDriver.values().forEach(l -> l.forEach(s -> names.add(s.getMetadata().getName())));
    return names;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
