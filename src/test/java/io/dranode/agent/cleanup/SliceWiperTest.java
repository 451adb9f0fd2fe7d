package io.dranode.agent.cleanup;

import static io.dranode.agent.cleanup.Slices.NODE;
import static io.dranode.agent.cleanup.Slices.OTHER_NODE;
import static io.dranode.agent.cleanup.Slices.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.testing.ManualScheduler;
import io.dranode.agent.testing.MutableClock;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The wiper's bounded parallel deletes against fabric8's CRUD mock, behind a dispatcher that
 * records when each DELETE arrives and can answer it late or with an error.
 *
 * <p>How "in flight" is seen at the server without blocking its event loop: every successful DELETE
 * is answered {@link #LATE} after it arrived, so a slot of the wiper frees at the earliest {@code
 * LATE} after the arrival of the delete that held it. All DELETEs that arrive within any window of
 * length {@code LATE} are therefore in flight together: the largest such group is a lower bound of
 * the real concurrency, and may never exceed the limit.
 */
class SliceWiperTest {

  static final String A = "driver-a.example.com";
  static final String B = "driver-b.example.com";
  static final String SLICES = "/apis/resource.k8s.io/v1/resourceslices/";
  static final Duration LATE = Duration.ofMillis(150);
  static final int LIMIT = 4;

  final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
  final List<Long> deleteArrivals = new CopyOnWriteArrayList<>();
  final List<String> deleteNames = new CopyOnWriteArrayList<>();
  final AtomicInteger deleted = new AtomicInteger();

  /** An answer other than the CRUD one for a slice's DELETE, by name; null: the CRUD answer. */
  final Map<String, Integer> faults = new ConcurrentHashMap<>();

  volatile boolean slowDeletes;

  /** Told the number of each DELETE as it arrives (1 for the first), on the server's thread. */
  volatile Function<Integer, @Nullable Void> onDelete = n -> null;

  @SuppressWarnings("NullAway.Init") // set in @BeforeEach
  KubernetesMockServer server;

  @SuppressWarnings("NullAway.Init") // set in @BeforeEach
  KubernetesClient client;

  @BeforeEach
  void start() {
    server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            new ConcurrentHashMap<>(),
            new Recording(),
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client =
        server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig());
    client.nodes().resource(Slices.node(NODE)).create();
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  private final class Recording extends Dispatcher {
    @Override
    public MockResponse dispatch(RecordedRequest request) {
      String path = String.valueOf(request.getPath());
      if (!"DELETE".equals(String.valueOf(request.getMethod())) || !path.startsWith(SLICES)) {
        return crud.dispatch(request);
      }
      deleteArrivals.add(System.nanoTime());
      String name = path.substring(SLICES.length());
      deleteNames.add(name);
      onDelete.apply(deleteArrivals.size());
      Integer fault = faults.get(name);
      if (fault != null) {
        return new MockResponse()
            .setResponseCode(fault)
            .setBody(
                Serialization.asJson(
                    new StatusBuilder()
                        .withStatus("Failure")
                        .withCode(fault)
                        .withMessage("injected " + fault)
                        .build()));
      }
      MockResponse response = crud.dispatch(request);
      if (response.code() == 200) {
        deleted.incrementAndGet();
      }
      return response.setBodyDelay(slowDeletes ? Duration.ofMinutes(1) : LATE);
    }
  }

  private SliceWiper wiper(int parallel) {
    AgentProperties properties =
        Slices.properties(FieldSelectors.CLIENT, "dra.agent.wipe.parallel-deletes=" + parallel);
    MutableClock clock = new MutableClock(WipeHarness.START);
    NodeIdentity node = new NodeIdentity(client, clock, properties, new ManualScheduler(clock));
    return new SliceWiper(client, node, properties, WipeHarness.DELETES);
  }

  private void publish(String driver, String node, int count) {
    for (int i = 0; i < count; i++) {
      Slices.create(client, slice(driver + "-" + node + "-" + i, node, driver));
    }
  }

  /** The largest number of DELETEs that arrived within {@link #LATE} of each other. */
  private int maxInFlightSeen() {
    List<Long> arrivals = new ArrayList<>(deleteArrivals);
    arrivals.sort(null);
    int max = 0;
    int first = 0;
    for (int last = 0; last < arrivals.size(); last++) {
      while (arrivals.get(last) - arrivals.get(first) >= LATE.toNanos()) {
        first++;
      }
      max = Math.max(max, last - first + 1);
    }
    return max;
  }

  @Test
  void deletesInParallelButNeverMoreThanTheLimitAtOnce() {
    publish(A, NODE, 24);
    publish(A, OTHER_NODE, 3);
    publish(B, NODE, 3);

    SliceWiper.Outcome outcome = wiper(LIMIT).wipe(A, false, () -> true);

    assertThat(outcome).isEqualTo(new SliceWiper.Outcome(24, false));
    assertThat(deleteNames).hasSize(24).allMatch(n -> n.startsWith(A + "-" + NODE + "-"));
    assertThat(Slices.names(client)).hasSize(6).noneMatch(n -> n.startsWith(A + "-" + NODE));
    assertThat(maxInFlightSeen())
        .as("DELETEs in flight together at the server")
        .isLessThanOrEqualTo(LIMIT)
        .isGreaterThan(1);
  }

  @Test
  void aLimitOfOneDeletesOneAtATime() {
    publish(A, NODE, 5);

    SliceWiper.Outcome outcome = wiper(1).wipe(A, false, () -> true);

    assertThat(outcome).isEqualTo(new SliceWiper.Outcome(5, false));
    assertThat(maxInFlightSeen()).isEqualTo(1);
  }

  /**
   * The driver comes back at the 6th check: exactly the 5 deletes issued before it go out, and the
   * attempt waits for all of them (some still in flight) before it reports them.
   */
  @Test
  void noDeleteIsIssuedOnceTheDriverIsBack() {
    publish(A, NODE, 20);
    AtomicInteger checks = new AtomicInteger();
    BooleanSupplier stillWanted = () -> checks.incrementAndGet() < 6;

    SliceWiper.Outcome outcome = wiper(LIMIT).wipe(A, false, stillWanted);

    assertThat(outcome).isEqualTo(new SliceWiper.Outcome(5, true));
    assertThat(checks).hasValue(6);
    assertThat(deleteNames).hasSize(5);
    assertThat(deleted).as("every issued delete ended before the wipe returned").hasValue(5);
    assertThat(Slices.names(client)).hasSize(15);
  }

  /**
   * Through the state machine: the driver turns usable while the 3rd delete arrives at the server.
   * Nothing is issued after that beyond what was already in flight, and the cancelled wipe's record
   * counts exactly the deletes the server made.
   */
  @Test
  void aWipeCancelledMidwayRecordsEveryDeleteThatWentThrough() {
    publish(B, NODE, 30);
    AgentProperties properties =
        Slices.properties(FieldSelectors.CLIENT, "dra.agent.wipe.parallel-deletes=" + LIMIT);
    WipeHarness h = new WipeHarness(client, properties);
    h.connected(B, "b1");
    h.connection(B, "b1", ConnectionState.DISCONNECTED);
    onDelete =
        n -> {
          if (n == 3) {
            h.connection(B, "b1", ConnectionState.CONNECTED);
          }
          return null;
        };

    h.scheduler.advance(Duration.ofSeconds(30));

    assertThat(deleteNames.size())
        .as("the 3rd plus at most the other deletes already in flight")
        .isBetween(3, 3 + LIMIT - 1);
    assertThat(h.wipes.pending()).isEmpty();
    assertThat(h.history.recent())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.result()).isEqualTo(WipeRecord.Result.CANCELLED);
              assertThat(r.deleted()).isEqualTo(deleted.get()).isEqualTo(deleteNames.size());
            });
    assertThat(Slices.names(client)).hasSize(30 - deleted.get());
  }

  /** Conflicts and NotFound: the rest is deleted, conflicts are reported for a retry. */
  @Test
  void conflictsAreCountedAndReportedNotFoundCountsAsDone() {
    publish(A, NODE, 12);
    faults.put(A + "-" + NODE + "-3", 409);
    faults.put(A + "-" + NODE + "-7", 409);
    faults.put(A + "-" + NODE + "-9", 404);

    assertThatThrownBy(() -> wiper(LIMIT).wipe(A, false, () -> true))
        .isInstanceOfSatisfying(
            SliceWiper.RetryableWipeException.class,
            e -> {
              assertThat(e.deleted()).isEqualTo(9);
              assertThat(e.getMessage())
                  .isEqualTo("2 slice(s) changed while being deleted; deleted 9 so far");
            });
    assertThat(deleteNames).hasSize(12);
    assertThat(Slices.names(client))
        .containsExactlyInAnyOrder(
            A + "-" + NODE + "-3", A + "-" + NODE + "-7", A + "-" + NODE + "-9");
  }

  /** A server error stops issuing deletes; the attempt reports what it did delete. */
  @Test
  void aServerErrorStopsIssuingAndReportsWhatWasDeleted() {
    publish(A, NODE, 40);
    onDelete =
        n -> {
          if (n == 1) {
            faults.put(deleteNames.get(0), 500);
          }
          return null;
        };

    assertThatThrownBy(() -> wiper(LIMIT).wipe(A, false, () -> true))
        .isInstanceOfSatisfying(
            SliceWiper.RetryableWipeException.class,
            e -> {
              assertThat(e.getMessage()).contains("HTTP 500").endsWith("so far");
              assertThat(e.deleted()).isEqualTo(deleted.get());
            });
    assertThat(deleteNames.size()).as("stopped long before the end").isLessThan(40);
    assertThat(Slices.names(client)).hasSize(40 - deleted.get());
  }

  @Test
  void dryRunIssuesNoDelete() {
    publish(A, NODE, 6);

    SliceWiper.Outcome outcome = wiper(LIMIT).wipe(A, true, () -> true);

    assertThat(outcome).isEqualTo(new SliceWiper.Outcome(6, false));
    assertThat(deleteNames).isEmpty();
    assertThat(Slices.names(client)).hasSize(6);
  }

  /** Interrupted (the context closes), the wipe ends at once and issues nothing more. */
  @Test
  void interruptionEndsTheWipeWithoutWaitingForSlowDeletes() throws InterruptedException {
    publish(A, NODE, 20);
    AtomicReference<@Nullable Throwable> ended = new AtomicReference<>();
    SliceWiper wiper = wiper(LIMIT);
    Thread wiping =
        new Thread(
            () -> {
              try {
                wiper.wipe(A, false, () -> true);
                ended.set(new AssertionError("the wipe finished"));
              } catch (RuntimeException e) {
                ended.set(e);
              }
            },
            "test-wiping");
    slowDeletes = true; // every DELETE answered only after a minute: the wipe sits on its slots
    wiping.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> deleteNames.size() == LIMIT);

    wiping.interrupt();

    await().atMost(Duration.ofSeconds(2)).until(() -> ended.get() != null);
    assertThat(ended.get())
        .isInstanceOf(SliceWiper.RetryableWipeException.class)
        .hasMessageStartingWith("interrupted");
    assertThat(deleteNames).hasSize(LIMIT);
    wiping.join(Duration.ofSeconds(2).toMillis());
    assertThat(wiping.isAlive()).isFalse();
  }
}
