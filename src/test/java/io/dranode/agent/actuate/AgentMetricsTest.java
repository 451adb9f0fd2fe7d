package io.dranode.agent.actuate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.SliceWiper;
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.condition.DriverConditions;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.event.EventStreams;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.IgnoredSocket;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.registration.RegistrationStatistics;
import io.dranode.agent.testing.ManualScheduler;
import io.dranode.agent.testing.MutableClock;
import io.dranode.agent.testing.TestProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The series the alerts read that come and go: refused sockets by the driver they named, and the
 * failed attempts of each pending wipe. A real store and real pending wipes on driven time; the
 * slice deletes are a narrow double that fails or succeeds as told.
 */
class AgentMetricsTest {

  static final String GPU = "gpu.example.com";
  static final String NIC = "nic.example.com";
  static final String REJECTED = "dra.agent.rejected.sockets";
  static final String WIPE_FAILURES = "dra.agent.resourceslice.wipe.failed.attempts";
  static final String PENDING = "dra.agent.resourceslice.wipes.pending";

  final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  final ManualScheduler scheduler = new ManualScheduler(clock);
  final SliceWiper wiper = mock(SliceWiper.class);
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final AtomicInteger failuresLeft = new AtomicInteger();

  PluginStore store;
  PendingWipes wipes;
  AgentMetrics metrics;

  @BeforeEach
  void setUp() {
    EventBus bus = new EventBus();
    wipes =
        new PendingWipes(
            scheduler,
            wiper,
            new WipeHistory(),
            bus,
            clock,
            TestProperties.of("dra.agent.wipe.delay=30s", "dra.agent.wipe.retry-initial=1s"));
    store = new PluginStore(bus, clock, List.of(wipes));
    when(wiper.wipe(anyString(), anyBoolean(), any()))
        .thenAnswer(
            call -> {
              if (failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("API server unavailable");
              }
              return new SliceWiper.Outcome(1, false);
            });
    DriverConditions conditions = mock(DriverConditions.class);
    when(conditions.subscribe(any())).thenReturn(() -> {});
    metrics =
        new AgentMetrics(
            store,
            wipes,
            new WipeHistory(),
            mock(RegistrationStatistics.class),
            mock(DeviceHealthMonitor.class),
            mock(EventStreams.class),
            conditions);
    metrics.bindTo(registry);
    wipes.start();
    metrics.start();
  }

  @AfterEach
  void tearDown() {
    metrics.stop();
    wipes.stop();
  }

  /** The series of a gauge by its {@code driver} tag. */
  private Map<String, Double> series(String name) {
    Map<String, Double> byDriver = new TreeMap<>();
    for (Gauge gauge : registry.find(name).gauges()) {
      byDriver.put(gauge.getId().getTag("driver"), gauge.value());
    }
    return byDriver;
  }

  private double pendingWipes() {
    return registry.get(PENDING).gauge().value();
  }

  private static Rejection refusal(String socket, @Nullable String driver, boolean retrying) {
    return new Rejection(Path.of("/reg/" + socket), driver, "refused", 1, Instant.EPOCH, retrying);
  }

  private void connect(String driver, String socket) {
    String endpoint = "/plugins/" + driver + "/dra.sock";
    store.register(driver, endpoint, Path.of("/reg/" + socket), "v1.DRAPlugin", null);
    store.setConnection(driver, endpoint, ConnectionState.CONNECTED);
  }

  private void disconnect(String driver) {
    store.setConnection(driver, "/plugins/" + driver + "/dra.sock", ConnectionState.DISCONNECTED);
  }

  @Test
  void refusedSocketsAreCountedByTheDriverTheyNamedWhileTheyArePresent() {
    assertThat(series(REJECTED)).isEmpty();

    store.reject(refusal("gpu-reg.sock", GPU, false));
    store.reject(refusal("bad-reg.sock", "Bad_Name", false));
    store.reject(refusal("silent-reg.sock", null, true));

    // An invalid or missing name is never a label value: those sockets share the empty driver.
    assertThat(series(REJECTED)).containsExactly(Map.entry("", 2.0), Map.entry(GPU, 1.0));

    store.forgetSocket(Path.of("/reg/bad-reg.sock"));
    assertThat(series(REJECTED)).containsExactly(Map.entry("", 1.0), Map.entry(GPU, 1.0));

    // The refused socket's plugin registers after all: its refusal and its series go.
    connect(GPU, "gpu-reg.sock");
    assertThat(series(REJECTED)).containsExactly(Map.entry("", 1.0));

    // An unreachable plugin answers at last, with a name that is refused: it moves to that name.
    store.reject(refusal("silent-reg.sock", NIC, false));
    assertThat(series(REJECTED)).containsExactly(Map.entry(NIC, 1.0));

    // A socket of another plugin type is not a refusal.
    store.ignore(
        new IgnoredSocket(Path.of("/reg/silent-reg.sock"), "CSIPlugin", "csi.example.com"));
    assertThat(series(REJECTED)).isEmpty();
  }

  @Test
  void aPendingWipeShowsItsFailedAttemptsUntilItSucceeds() {
    connect(GPU, "gpu-reg.sock");
    connect(NIC, "nic-reg.sock");
    assertThat(pendingWipes()).isZero();
    assertThat(series(WIPE_FAILURES)).isEmpty();

    failuresLeft.set(2);
    disconnect(GPU);
    assertThat(pendingWipes()).isEqualTo(1.0);
    assertThat(series(WIPE_FAILURES)).containsExactly(Map.entry(GPU, 0.0));

    scheduler.advance(Duration.ofSeconds(30));
    assertThat(series(WIPE_FAILURES)).containsExactly(Map.entry(GPU, 1.0));
    scheduler.advanceToNext();
    assertThat(series(WIPE_FAILURES)).containsExactly(Map.entry(GPU, 2.0));

    // The third attempt deletes the slices: the wipe and its series are gone.
    scheduler.advanceToNext();
    assertThat(wipes.pending()).isEmpty();
    assertThat(pendingWipes()).isZero();
    assertThat(series(WIPE_FAILURES)).isEmpty();
  }

  @Test
  void aCancelledWipeTakesItsSeriesAlong() {
    connect(GPU, "gpu-reg.sock");
    failuresLeft.set(Integer.MAX_VALUE);
    disconnect(GPU);
    scheduler.advance(Duration.ofSeconds(30));
    assertThat(series(WIPE_FAILURES)).containsExactly(Map.entry(GPU, 1.0));

    store.setConnection(GPU, "/plugins/" + GPU + "/dra.sock", ConnectionState.CONNECTED);

    assertThat(pendingWipes()).isZero();
    assertThat(series(WIPE_FAILURES)).isEmpty();
  }

  /**
   * A wipe cancelled while an attempt is in flight is recorded when that attempt ends, which can be
   * after the driver left again and a new wipe was scheduled: the new wipe's series stays.
   */
  @Test
  void theLateRecordOfACancelledWipeLeavesTheNextWipeShown() {
    connect(GPU, "gpu-reg.sock");
    when(wiper.wipe(anyString(), anyBoolean(), any()))
        .thenAnswer(
            call -> {
              store.setConnection(GPU, "/plugins/" + GPU + "/dra.sock", ConnectionState.CONNECTED);
              disconnect(GPU);
              return new SliceWiper.Outcome(0, true);
            });
    disconnect(GPU);

    scheduler.advance(Duration.ofSeconds(30));

    assertThat(wipes.pending()).hasSize(1);
    assertThat(pendingWipes()).isEqualTo(1.0);
    assertThat(series(WIPE_FAILURES)).containsExactly(Map.entry(GPU, 0.0));
  }
}
