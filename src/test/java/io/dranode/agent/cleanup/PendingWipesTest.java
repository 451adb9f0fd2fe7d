package io.dranode.agent.cleanup;

import static io.dranode.agent.cleanup.Slices.NODE;
import static io.dranode.agent.cleanup.Slices.OTHER_NODE;
import static io.dranode.agent.cleanup.Slices.slice;
import static io.dranode.agent.cleanup.WipeHarness.START;
import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.plugin.ConnectionState;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pending-wipe state machine against fabric8's mock API server in CRUD mode, with time driven
 * by a manual scheduler: upstream's TestRegistrationHandler/manage-resource-slices and
 * TestConnectionHandling cases, plus what the kubelet does not have (dry run, faults, a driver
 * coming back while its wipe runs). Field selectors are applied on the client here because the CRUD
 * mock ignores {@code spec.*} selectors; {@link SliceWiperServerSelectorsTest} checks the exact
 * requests of the server-side mode.
 */
@EnableKubernetesMockClient(
    crud = true,
    https = false,
    kubernetesClientBuilderCustomizer = NoClientRetries.class)
class PendingWipesTest {

  static final String A = "driver-a.example.com";
  static final String B = "driver-b.example.com";
  static final Duration GRACE = Duration.ofSeconds(30);
  static final String SLICES_PATH = "/apis/resource.k8s.io/v1/resourceslices";

  // Both set by the mock-server extension before any test runs.
  @SuppressWarnings("NullAway.Init")
  static KubernetesClient client;

  @SuppressWarnings("NullAway.Init")
  static KubernetesMockServer server;

  WipeHarness h;

  @BeforeEach
  void freshServer() throws InterruptedException {
    server.reset();
    drainRequests();
    client.nodes().resource(Slices.node(NODE)).create();
    h = new WipeHarness(client, Slices.properties(FieldSelectors.CLIENT));
  }

  @Test
  void manageResourceSlices() {
    h.connected(A, "a1");
    h.connected(B, "b1");
    Slices.create(
        client,
        slice("a-1", NODE, A),
        slice("b-1", NODE, B),
        slice("b-2", NODE, B),
        slice("b-elsewhere", OTHER_NODE, B),
        slice("a-elsewhere", OTHER_NODE, A));

    h.deregistered(B, "b1");
    h.deregistered(B, "b1"); // a second deregistration is a no-op, as upstream

    assertThat(h.wipes.pendingFor(B))
        .hasValueSatisfying(p -> assertThat(p.dueAt()).isEqualTo(START.plus(GRACE)));
    assertThat(h.wipes.pendingFor(A)).isEmpty();
    h.scheduler.advance(GRACE.minusMillis(1));
    assertThat(Slices.names(client)).contains("b-1", "b-2");

    h.scheduler.advance(Duration.ofMillis(1));
    assertThat(Slices.names(client)).containsExactlyInAnyOrder("a-1", "b-elsewhere", "a-elsewhere");
    assertThat(h.history.recent())
        .first()
        .satisfies(
            r -> {
              assertThat(r.driver()).isEqualTo(B);
              assertThat(r.result()).isEqualTo(WipeRecord.Result.DELETED);
              assertThat(r.deleted()).isEqualTo(2);
            });
    assertThat(h.wipes.pending()).isEmpty();

    // Upstream's cleanup then deregisters the other plugin: its own wipe, for its own slices.
    h.deregistered(A, "a1");
    h.scheduler.advance(GRACE);
    assertThat(Slices.names(client)).containsExactlyInAnyOrder("b-elsewhere", "a-elsewhere");
  }

  @Test
  void wipeOnDisconnect() {
    h.connected(A, "a1");
    Slices.create(client, slice("a-1", NODE, A));

    h.connection(A, "a1", ConnectionState.DISCONNECTED);

    assertThat(h.wipes.pendingFor(A)).isPresent();
    h.scheduler.advance(GRACE.minusMillis(1));
    assertThat(Slices.names(client)).containsExactly("a-1");
    h.scheduler.advance(Duration.ofMillis(1));
    assertThat(Slices.names(client)).isEmpty();
    assertThat(h.seen)
        .extracting(AgentEvent::type)
        .containsSubsequence(
            AgentEvent.Type.DISCONNECTED, AgentEvent.Type.WIPE_SCHEDULED, AgentEvent.Type.WIPED);
  }

  @Test
  void noWipeOnReconnect() {
    h.connected(A, "a1");
    Slices.create(client, slice("a-1", NODE, A));

    h.connection(A, "a1", ConnectionState.DISCONNECTED);
    assertThat(h.wipes.pendingFor(A)).isPresent();
    h.scheduler.advance(Duration.ofSeconds(20));
    h.connection(A, "a1", ConnectionState.CONNECTED);

    assertThat(h.wipes.pendingFor(A)).isEmpty();
    assertThat(h.scheduler.queued()).isEmpty();
    h.scheduler.advance(Duration.ofHours(1));
    assertThat(Slices.names(client)).containsExactly("a-1");
    assertThat(h.history.recent())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.result()).isEqualTo(WipeRecord.Result.CANCELLED);
              assertThat(r.result().wireName()).isEqualTo("cancelled");
            });
  }

  @Test
  void keepFirstDeadline() {
    h.connected(A, "a1");
    Slices.create(client, slice("a-1", NODE, A));
    h.connection(A, "a1", ConnectionState.DISCONNECTED);
    Instant firstDeadline = START.plus(GRACE);

    // A second instance appears and goes away again without ever connecting: unusable twice.
    h.scheduler.advance(Duration.ofSeconds(10));
    h.registered(A, "a2");
    h.scheduler.advance(Duration.ofSeconds(5));
    h.deregistered(A, "a2");

    assertThat(h.wipes.pendingFor(A))
        .hasValueSatisfying(p -> assertThat(p.dueAt()).isEqualTo(firstDeadline));
    assertThat(h.scheduler.queued()).containsExactly(firstDeadline);
    h.scheduler.advance(Duration.between(h.clock.instant(), firstDeadline));
    assertThat(Slices.names(client)).isEmpty();
  }

  @Test
  void connectingDoesNotSchedule() {
    Slices.create(client, slice("a-1", NODE, A));

    h.registered(A, "a1");

    assertThat(h.wipes.pending()).isEmpty();
    assertThat(h.scheduler.queued()).isEmpty();
    h.scheduler.advance(Duration.ofHours(1));
    assertThat(Slices.names(client)).containsExactly("a-1");
    assertThat(h.seen).extracting(AgentEvent::type).doesNotContain(AgentEvent.Type.WIPE_SCHEDULED);
  }

  /** Invariant 4: a driver that registers again inside the grace period keeps its slices. */
  @Test
  void registrationInsideGracePeriodHoldsTheWipeUntilItConnects() {
    h.connected(A, "a1");
    Slices.create(client, slice("a-1", NODE, A));
    h.deregistered(A, "a1");

    h.scheduler.advance(Duration.ofSeconds(25));
    h.registered(A, "a2"); // the restarted driver is back, its connection not yet READY
    h.scheduler.advance(Duration.ofSeconds(10)); // past the first deadline
    assertThat(Slices.names(client)).containsExactly("a-1");

    h.connection(A, "a2", ConnectionState.CONNECTED);
    assertThat(h.wipes.pendingFor(A)).isEmpty();
    h.scheduler.advance(Duration.ofHours(1));
    assertThat(Slices.names(client)).containsExactly("a-1");
    assertThat(h.history.recent())
        .first()
        .extracting(WipeRecord::result)
        .isEqualTo(WipeRecord.Result.CANCELLED);
  }

  /** ...and if that new instance never connects, the wipe goes ahead, with the first deadline. */
  @Test
  void registrationThatNeverConnectsResumesTheWipe() {
    h.connected(A, "a1");
    Slices.create(client, slice("a-1", NODE, A));
    h.deregistered(A, "a1");
    h.scheduler.advance(Duration.ofSeconds(25));
    h.registered(A, "a2");
    h.scheduler.advance(Duration.ofSeconds(10));

    h.connection(A, "a2", ConnectionState.DISCONNECTED);
    h.scheduler.runDue();

    assertThat(Slices.names(client)).isEmpty();
    assertThat(h.history.recent())
        .first()
        .extracting(WipeRecord::result)
        .isEqualTo(WipeRecord.Result.DELETED);
  }

  @Test
  void rollingUpdateNeverWipes() {
    h.connected(A, "old");
    Slices.create(client, slice("a-1", NODE, A));
    h.connected(A, "new");

    h.deregistered(A, "old");

    assertThat(h.wipes.pending()).isEmpty();
    h.scheduler.advance(Duration.ofHours(1));
    assertThat(Slices.names(client)).containsExactly("a-1");
  }

  @Test
  void dryRunDeletesNothing() throws InterruptedException {
    h =
        new WipeHarness(
            client,
            Slices.properties(
                FieldSelectors.CLIENT,
                "dra.agent.wipe.dry-run=true",
                "dra.agent.wipe.delay=" + GRACE.toMillis() + "ms"));
    h.connected(A, "a1");
    Slices.create(client, slice("a-1", NODE, A), slice("a-2", NODE, A));
    drainRequests();

    h.deregistered(A, "a1");
    h.scheduler.advance(GRACE);

    assertThat(Slices.names(client)).containsExactly("a-1", "a-2");
    assertThat(h.history.recent())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.result().wireName()).isEqualTo("dry-run");
              assertThat(r.deleted()).isEqualTo(2);
            });
    assertThat(drainRequests()).extracting(RecordedRequest::getMethod).doesNotContain("DELETE");
  }

  @Test
  void disabledNeverSchedules() {
    h =
        new WipeHarness(
            client,
            Slices.properties(
                FieldSelectors.CLIENT,
                "dra.agent.wipe.enabled=false",
                "dra.agent.wipe.delay=" + GRACE.toMillis() + "ms"));
    h.connected(A, "a1");
    Slices.create(client, slice("a-1", NODE, A));

    h.deregistered(A, "a1");

    assertThat(h.wipes.pending()).isEmpty();
    assertThat(h.scheduler.queued()).isEmpty();
    h.scheduler.advance(Duration.ofHours(1));
    assertThat(Slices.names(client)).containsExactly("a-1");
  }

  /**
   * The driver comes back while its wipe is deleting: the wipe stops before its next delete. The
   * wiper double turns the driver usable again right after the first delete, deterministically.
   */
  @Test
  void driverUsableWhileWipeRunsStopsBeforeNextDelete() {
    h = wiperThatOnSecondCheck(() -> self.connection(B, "b1", ConnectionState.CONNECTED), () -> {});
    h.connected(B, "b1");
    Slices.create(client, slice("b-1", NODE, B), slice("b-2", NODE, B), slice("b-3", NODE, B));

    h.connection(B, "b1", ConnectionState.DISCONNECTED);
    h.scheduler.advance(GRACE);

    assertThat(Slices.names(client)).hasSize(2); // one delete, then it stopped
    assertThat(h.wipes.pending()).isEmpty();
    assertThat(h.history.recent())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.result()).isEqualTo(WipeRecord.Result.CANCELLED);
              assertThat(r.deleted()).as("the delete already made is not hidden").isEqualTo(1);
              assertThat(r.detail()).contains("1 ResourceSlice(s) already deleted");
            });
    h.scheduler.advance(Duration.ofHours(1));
    assertThat(Slices.names(client)).hasSize(2);
  }

  /** An instance registers while the wipe deletes: the wipe stops and waits for its connection. */
  @Test
  void registrationWhileWipeRunsHoldsItUntilTheInstanceFails() {
    h = wiperThatOnSecondCheck(() -> self.registered(B, "b2"), () -> {});
    h.connected(B, "b1");
    Slices.create(client, slice("b-1", NODE, B), slice("b-2", NODE, B), slice("b-3", NODE, B));

    h.connection(B, "b1", ConnectionState.DISCONNECTED);
    h.scheduler.advance(GRACE);
    assertThat(Slices.names(client)).hasSize(2);
    assertThat(h.wipes.pendingFor(B)).isPresent();
    assertThat(h.scheduler.queued()).isEmpty(); // held, not polling

    h.connection(B, "b2", ConnectionState.DISCONNECTED);
    h.scheduler.runDue();
    assertThat(Slices.names(client)).isEmpty();
    assertThat(h.wipes.pending()).isEmpty();
  }

  /**
   * The same, but the new instance goes away again after the wipe decided to stop and before it
   * returned: that UNUSABLE found nothing held, so the wipe itself must go on, not wait forever.
   */
  @Test
  void instanceThatComesAndGoesDuringTheWipeDoesNotStrandIt() {
    h = wiperThatOnSecondCheck(() -> self.registered(B, "b2"), () -> self.deregistered(B, "b2"));
    h.connected(B, "b1");
    Slices.create(client, slice("b-1", NODE, B), slice("b-2", NODE, B), slice("b-3", NODE, B));

    h.connection(B, "b1", ConnectionState.DISCONNECTED);
    h.scheduler.advance(GRACE);

    assertThat(Slices.names(client)).isEmpty();
    assertThat(h.wipes.pending()).isEmpty();
  }

  @SuppressWarnings("NullAway.Init") // set by wiperThatOnSecondCheck, read only by its double
  private WipeHarness self;

  /**
   * A harness whose wiper, at its second "still wanted?" check (before its second delete), runs
   * {@code before}, reads the real answer, then runs {@code after}: deterministic stand-ins for
   * registrations that race with a running wipe.
   */
  private WipeHarness wiperThatOnSecondCheck(Runnable before, Runnable after) {
    int[] checks = {0};
    self =
        new WipeHarness(
            client,
            Slices.properties(FieldSelectors.CLIENT),
            (c, node, props) ->
                new SliceWiper(c, node, props, WipeHarness.DELETES) {
                  @Override
                  public Outcome wipe(String driver, boolean dryRun, BooleanSupplier stillWanted) {
                    return super.wipe(
                        driver,
                        dryRun,
                        () -> {
                          if (++checks[0] != 2) {
                            return stillWanted.getAsBoolean();
                          }
                          before.run();
                          boolean answer = stillWanted.getAsBoolean();
                          after.run();
                          return answer;
                        });
                  }
                });
    return self;
  }

  /** Invariant 7: faults delay a wipe, with the kubelet's backoff; they never drop it. */
  @ParameterizedTest(name = "HTTP {0} twice, then success")
  @ValueSource(ints = {500, 503, 429})
  void apiFaultsAreRetriedWithBackoff(int code) {
    h.connected(A, "a1");
    Slices.create(client, slice("a-1", NODE, A));
    server.expect().get().withPath(SLICES_PATH).andReturn(code, status(code)).times(2);

    h.deregistered(A, "a1");
    h.scheduler.advance(GRACE);

    assertThat(h.wipes.pendingFor(A))
        .hasValueSatisfying(
            p -> {
              assertThat(p.attempts()).isEqualTo(1);
              assertThat(p.lastError()).contains("HTTP " + code);
            });
    Instant firstFailure = h.clock.instant();
    assertThat(h.scheduler.queued())
        .singleElement()
        .satisfies(
            at ->
                assertThat(Duration.between(firstFailure, at))
                    .isBetween(Duration.ofMillis(1000), Duration.ofMillis(1200)));
    assertThat(Slices.exists(client, "a-1")).isTrue();

    h.scheduler.advanceToNext();
    Instant secondFailure = h.clock.instant();
    assertThat(h.wipes.pendingFor(A))
        .hasValueSatisfying(p -> assertThat(p.attempts()).isEqualTo(2));
    assertThat(h.scheduler.queued())
        .singleElement()
        .satisfies(
            at ->
                assertThat(Duration.between(secondFailure, at))
                    .isBetween(Duration.ofMillis(1600), Duration.ofMillis(2400)));

    h.scheduler.advanceToNext();
    assertThat(Slices.exists(client, "a-1")).isFalse();
    assertThat(h.wipes.pending()).isEmpty();
    assertThat(h.history.recent())
        .first()
        .satisfies(
            r -> {
              assertThat(r.result()).isEqualTo(WipeRecord.Result.DELETED);
              assertThat(r.detail()).contains("after 3 attempt(s)");
            });
  }

  /** A 429 whose Status asks for 20 s is retried after 20 s, not after the 1 s backoff step. */
  @Test
  void theServersRetryAfterIsHonoured() {
    h.connected(A, "a1");
    Slices.create(client, slice("a-1", NODE, A));
    Status tooMany =
        new StatusBuilder()
            .withStatus("Failure")
            .withCode(429)
            .withReason("TooManyRequests")
            .withMessage("too many requests, please try again later")
            .withNewDetails()
            .withRetryAfterSeconds(20)
            .endDetails()
            .build();
    server.expect().get().withPath(SLICES_PATH).andReturn(429, tooMany).once();

    h.deregistered(A, "a1");
    h.scheduler.advance(GRACE);

    Instant failed = h.clock.instant();
    assertThat(h.wipes.pendingFor(A))
        .hasValueSatisfying(p -> assertThat(p.lastError()).contains("HTTP 429"));
    assertThat(h.scheduler.queued())
        .singleElement()
        .satisfies(
            at -> assertThat(Duration.between(failed, at)).isEqualTo(Duration.ofSeconds(20)));

    h.scheduler.advance(Duration.ofSeconds(19));
    assertThat(Slices.exists(client, "a-1")).isTrue();
    h.scheduler.advanceToNext();
    assertThat(Slices.exists(client, "a-1")).isFalse();
    assertThat(h.wipes.pending()).isEmpty();
  }

  @Test
  void wipeWaitsForTheNode() {
    server.reset();
    h = new WipeHarness(client, Slices.properties(FieldSelectors.CLIENT));
    h.connected(A, "a1");
    Slices.create(client, slice("a-1", NODE, A));

    h.deregistered(A, "a1");
    h.scheduler.advance(GRACE);
    assertThat(h.wipes.pendingFor(A))
        .hasValueSatisfying(p -> assertThat(p.lastError()).contains("does not exist"));
    assertThat(Slices.names(client)).containsExactly("a-1");

    client.nodes().resource(Slices.node(NODE)).create();
    h.scheduler.advance(Duration.ofSeconds(2));
    assertThat(Slices.names(client)).isEmpty();
  }

  @Test
  void notFoundOnDeleteCountsAsDone() {
    h.connected(A, "a1");
    Slices.create(client, slice("a-1", NODE, A), slice("a-2", NODE, A));
    // Someone else deleted a-1 between our list and our delete.
    server.expect().delete().withPath(SLICES_PATH + "/a-1").andReturn(404, status(404)).once();

    h.deregistered(A, "a1");
    h.scheduler.advance(GRACE);

    assertThat(h.wipes.pending()).isEmpty();
    assertThat(h.scheduler.queued()).isEmpty();
    assertThat(h.history.recent())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.result()).isEqualTo(WipeRecord.Result.DELETED);
              assertThat(r.detail()).contains("after 1 attempt(s)");
            });
    assertThat(Slices.names(client)).doesNotContain("a-2");
  }

  /** Invariants 1 and 2, side by side: only this node's slices of the unusable driver go. */
  @Test
  void otherNodesAndUsableDriversAreNeverTouched() {
    h.connected(A, "a1");
    h.connected(B, "b1");
    Slices.create(
        client,
        slice("a-here", NODE, A),
        slice("a-there", OTHER_NODE, A),
        slice("b-here", NODE, B),
        slice("b-there", OTHER_NODE, B));

    h.connection(B, "b1", ConnectionState.DISCONNECTED);
    h.scheduler.advance(GRACE);
    // The orphan sweep asks too; a usable driver is refused even when asked directly.
    h.wipes.request(A, WipeCause.ORPHANED, "test", h.clock.instant());
    h.scheduler.advance(GRACE);

    assertThat(Slices.names(client)).containsExactlyInAnyOrder("a-here", "a-there", "b-there");
  }

  private static Status status(int code) {
    return new StatusBuilder()
        .withStatus("Failure")
        .withCode(code)
        .withMessage("injected fault")
        .build();
  }

  private static List<RecordedRequest> drainRequests() throws InterruptedException {
    List<RecordedRequest> requests = new ArrayList<>();
    RecordedRequest next;
    while ((next = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      requests.add(next);
    }
    return requests;
  }
}
