package io.dranode.agent.cleanup;

import static io.dranode.agent.cleanup.Slices.NODE;
import static io.dranode.agent.cleanup.Slices.OTHER_NODE;
import static io.dranode.agent.cleanup.Slices.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Restart safety: unlike the kubelet, the agent does not wipe the node's slices when it starts. It
 * sweeps one grace period later, and only the slices of drivers that did not come back; live
 * drivers, connecting drivers and other nodes keep theirs. A real {@link SliceInventory} (an
 * informer on the CRUD mock, listing everything and filtering on the client) feeds the sweeper.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class OrphanSweeperTest {

  static final String LIVE = "live.example.com";
  static final String ORPHAN = "orphan.example.com";
  static final Duration GRACE = Duration.ofSeconds(30);
  static final Duration SWEEP_INTERVAL = Duration.ofMinutes(5);

  // Both set by the mock-server extension before any test runs.
  @SuppressWarnings("NullAway.Init")
  static KubernetesClient client;

  @SuppressWarnings("NullAway.Init")
  static KubernetesMockServer server;

  final AgentProperties properties = Slices.properties(FieldSelectors.CLIENT);
  WipeHarness h;
  @Nullable SliceInventory inventory;

  @BeforeEach
  void freshServer() {
    server.reset();
    client.nodes().resource(Slices.node(NODE)).create();
    h = new WipeHarness(client, properties);
    Slices.create(
        client,
        slice("live-1", NODE, LIVE),
        slice("orphan-1", NODE, ORPHAN),
        slice("orphan-2", NODE, ORPHAN),
        slice("orphan-elsewhere", OTHER_NODE, ORPHAN));
  }

  @AfterEach
  void stopInventory() {
    if (inventory != null) {
      inventory.stop();
    }
  }

  @Test
  void afterRestartOnlyOrphansAreSweptAndOnlyAfterTheGracePeriod() {
    h.connected(LIVE, "l1");
    OrphanSweeper sweeper = sweeper(syncedInventory());

    sweeper.start();
    h.scheduler.advance(GRACE.minusMillis(1));
    assertThat(h.wipes.pending()).isEmpty();
    assertThat(Slices.names(client)).hasSize(4);

    h.scheduler.advance(Duration.ofMillis(1));

    assertThat(Slices.names(client)).containsExactlyInAnyOrder("live-1", "orphan-elsewhere");
    assertThat(h.history.recent())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.driver()).isEqualTo(ORPHAN);
              assertThat(r.deleted()).isEqualTo(2);
            });
    assertThat(h.scheduler.queued()).containsExactly(h.clock.instant().plus(SWEEP_INTERVAL));
  }

  @Test
  void aDriverThatComesBackDuringTheFirstGracePeriodKeepsItsSlices() {
    OrphanSweeper sweeper = sweeper(syncedInventory());
    sweeper.start();

    h.scheduler.advance(Duration.ofSeconds(10));
    h.connected(ORPHAN, "o1");
    h.scheduler.advance(GRACE);

    assertThat(Slices.names(client)).contains("orphan-1", "orphan-2");
    // LIVE never registered in this test: it is the orphan now.
    assertThat(Slices.names(client)).doesNotContain("live-1");
  }

  @Test
  void aDriverStillConnectingIsNotSwept() {
    h.registered(ORPHAN, "o1");
    h.connected(LIVE, "l1");
    OrphanSweeper sweeper = sweeper(syncedInventory());

    sweeper.start();
    h.scheduler.advance(GRACE);

    assertThat(Slices.names(client)).hasSize(4);
  }

  @Test
  void theSweepWaitsWhileTheInventoryIsNotSynced() {
    h.connected(LIVE, "l1");
    SliceInventory notStarted = new SliceInventory(client, properties);
    OrphanSweeper sweeper = sweeper(notStarted);

    sweeper.start();
    h.scheduler.advance(GRACE);

    // No LIST yet: "no slices known" must not be mistaken for "no slices".
    assertThat(notStarted.synced()).isFalse();
    assertThat(h.wipes.pending()).isEmpty();
    assertThat(Slices.names(client)).hasSize(4);
    assertThat(h.scheduler.queued()).containsExactly(h.clock.instant().plus(GRACE));

    inventory = notStarted;
    notStarted.start();
    await().atMost(Duration.ofSeconds(10)).until(notStarted::synced);
    h.scheduler.advance(GRACE);

    assertThat(Slices.names(client)).containsExactlyInAnyOrder("live-1", "orphan-elsewhere");
  }

  @Test
  void laterOrphansGetTheNormalGracePeriod() {
    h.connected(LIVE, "l1");
    h.connected(ORPHAN, "o1");
    SliceInventory synced = syncedInventory();
    OrphanSweeper sweeper = sweeper(synced);
    sweeper.start();
    h.scheduler.advance(GRACE); // start-up sweep: nothing to do
    assertThat(h.history.recent()).isEmpty();

    // A slice of a driver this node never saw, e.g. left by an agent that crashed.
    Slices.create(client, slice("stray-1", NODE, "stray.example.com"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> synced.byDriver().containsKey("stray.example.com"));
    h.scheduler.advance(SWEEP_INTERVAL);
    assertThat(h.wipes.pendingFor("stray.example.com"))
        .hasValueSatisfying(p -> assertThat(p.dueAt()).isEqualTo(h.clock.instant().plus(GRACE)));

    h.scheduler.advance(GRACE);
    assertThat(Slices.names(client)).doesNotContain("stray-1").contains("orphan-1", "live-1");
  }

  /**
   * The sweep reads which drivers are served, then asks for wipes. A registration landing between
   * the two must still win (invariant 1): the inventory double registers the driver exactly there.
   */
  @Test
  void aRegistrationBetweenTheSweepsReadAndItsRequestWins() {
    h.connected(LIVE, "l1");
    SliceInventory racing =
        new SliceInventory(client, properties) {
          private boolean registered;

          @Override
          public Map<String, List<ResourceSlice>> byDriver() {
            if (!registered) {
              registered = true;
              h.connected(ORPHAN, "o1");
            }
            return super.byDriver();
          }
        };
    startAndSync(racing);
    OrphanSweeper sweeper = sweeper(racing);

    sweeper.start();
    h.scheduler.advance(GRACE);
    h.scheduler.advance(GRACE);

    assertThat(h.wipes.pending()).isEmpty();
    assertThat(Slices.names(client)).hasSize(4);
  }

  @Test
  void stopCancelsTheNextSweep() {
    OrphanSweeper sweeper = sweeper(syncedInventory());
    sweeper.start();
    assertThat(h.scheduler.queued()).hasSize(1);

    sweeper.stop();

    assertThat(h.scheduler.queued()).isEmpty();
    assertThat(sweeper.isRunning()).isFalse();
    h.scheduler.advance(Duration.ofHours(1));
    assertThat(Slices.names(client)).hasSize(4);
  }

  /**
   * A returning driver whose plugin answers late (slow to start, or an agent short of CPU whose
   * first GetInfo ran out of time): the start-up sweep waits for its socket and does not take its
   * slices for orphans.
   */
  @Test
  void theStartUpSweepWaitsForASocketThatHasNotAnsweredYet() {
    h.connected(LIVE, "l1");
    Path late = Path.of("/var/lib/kubelet/plugins_registry/" + ORPHAN + "-o1.sock");
    h.store.awaitAnswer(late);
    OrphanSweeper sweeper = sweeper(syncedInventory());
    sweeper.start();

    h.scheduler.advance(GRACE.plusSeconds(5));
    assertThat(h.wipes.pending()).isEmpty();

    h.connected(ORPHAN, "o1"); // its registration finally goes through
    h.scheduler.advance(Duration.ofSeconds(1));

    assertThat(Slices.names(client)).contains("orphan-1", "orphan-2");
    assertThat(h.history.recent()).isEmpty();
    sweeper.stop();
  }

  /** A socket that never answers (a stale one) holds the start-up sweep one grace period only. */
  @Test
  void aSocketThatNeverAnswersHoldsTheStartUpSweepOneGracePeriodAtMost() {
    h.store.awaitAnswer(Path.of("/var/lib/kubelet/plugins_registry/stale.sock"));
    OrphanSweeper sweeper = sweeper(syncedInventory());
    sweeper.start();

    h.scheduler.advance(GRACE.plus(GRACE).minusSeconds(1));
    assertThat(Slices.names(client)).contains("orphan-1");

    h.scheduler.advance(Duration.ofSeconds(1));
    assertThat(Slices.names(client)).doesNotContain("orphan-1", "orphan-2");
    sweeper.stop();
  }

  /** A driver listed in dra.agent.wipe.ignore-drivers keeps its slices, registered or not. */
  @Test
  void slicesOfAnIgnoredDriverAreNeverSweptNorWiped() {
    AgentProperties ignoring =
        Slices.properties(
            FieldSelectors.CLIENT, "dra.agent.wipe.ignore-drivers=" + ORPHAN + "," + LIVE);
    h = new WipeHarness(client, ignoring);
    h.connected(LIVE, "l1");
    OrphanSweeper sweeper = sweeper(syncedInventory(), ignoring);
    sweeper.start();

    h.scheduler.advance(GRACE);
    h.deregistered(LIVE, "l1");
    h.scheduler.advance(GRACE.plus(SWEEP_INTERVAL));

    assertThat(Slices.names(client)).hasSize(4);
    assertThat(h.wipes.pending()).isEmpty();
    assertThat(h.history.recent()).isEmpty();
    sweeper.stop();
  }

  /**
   * KEP-5945: a slice that declares its devices need no kubelet plugin is no orphan, and no wipe
   * deletes it; a slice that skips only one of the two operations still needs the plugin.
   */
  @Test
  void slicesThatNeedNoKubeletPluginAreNotOrphans() {
    Slices.create(
        client,
        skipping(slice("central-1", NODE, "central.example.com"), "*"),
        skipping(
            slice("central-2", NODE, "central.example.com"),
            "NodePrepareResources",
            "NodeUnprepareResources"),
        skipping(slice("orphan-3", NODE, ORPHAN), "*"),
        skipping(slice("half-1", NODE, "half.example.com"), "NodeUnprepareResources"));
    h.connected(LIVE, "l1");
    SliceInventory synced = new SliceInventory(client, properties);
    inventory = synced;
    synced.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> synced.byDriver().size() == 4);
    OrphanSweeper sweeper = sweeper(synced);

    sweeper.start();
    h.scheduler.advance(GRACE);

    assertThat(Slices.names(client))
        .containsExactlyInAnyOrder(
            "live-1", "orphan-elsewhere", "central-1", "central-2", "orphan-3");
    assertThat(h.history.recent())
        .extracting(WipeRecord::driver, WipeRecord::deleted)
        .containsExactlyInAnyOrder(tuple(ORPHAN, 2), tuple("half.example.com", 1));
    sweeper.stop();
  }

  private static ResourceSlice skipping(ResourceSlice slice, String... operations) {
    slice.getSpec().setSkipNodeOperations(List.of(operations));
    return slice;
  }

  private OrphanSweeper sweeper(SliceInventory source) {
    return sweeper(source, properties);
  }

  private OrphanSweeper sweeper(SliceInventory source, AgentProperties settings) {
    return new OrphanSweeper(
        source, new SweepExemptions(settings), h.store, h.wipes, h.scheduler, h.clock, settings);
  }

  private SliceInventory syncedInventory() {
    return startAndSync(new SliceInventory(client, properties));
  }

  private SliceInventory startAndSync(SliceInventory created) {
    inventory = created;
    created.start();
    await().atMost(Duration.ofSeconds(10)).until(created::synced);
    await().atMost(Duration.ofSeconds(10)).until(() -> created.byDriver().size() == 2);
    return created;
  }
}
