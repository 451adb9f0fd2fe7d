package io.dranode.agent.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.dranode.agent.cleanup.NodeIdentity;
import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.cleanup.SliceWiper;
import io.dranode.agent.cleanup.WipeCause;
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.condition.DriverConditions;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.devicehealth.DeviceHealthEntry;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.devicehealth.DriverHealth;
import io.dranode.agent.devicehealth.Health;
import io.dranode.agent.devicehealth.HealthSupport;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.event.Subscription;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.testing.ManualScheduler;
import io.dranode.agent.testing.MutableClock;
import io.dranode.agent.testing.TestProperties;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

/**
 * The Events a driver's life makes, with the agent's real store, pending wipes and conditions on
 * driven time, against the CRUD mock; and the proof that a slow API server delays no registration
 * and no wipe.
 */
@SuppressWarnings("NullAway.Init") // each test starts the agent its way: start(mode, executor)
class NodeEventsTest {

  static final String GPU = "gpu.example.com";
  static final String REGISTRY = "/var/lib/kubelet/plugins_registry";

  final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  final ManualScheduler scheduler = new ManualScheduler(clock);
  final SliceInventory inventory = mock(SliceInventory.class);
  final DeviceHealthMonitor health = mock(DeviceHealthMonitor.class);
  final SliceWiper wiper = mock(SliceWiper.class);
  final AtomicInteger failuresLeft = new AtomicInteger();

  EventsApi api;
  KubernetesClient client;
  @Nullable ExecutorService reportThread;
  PluginStore store;
  PendingWipes wipes;
  WipeHistory history;
  DriverConditions conditions;
  NodeEvents events;

  void start(String mode, Executor reportExecutor) {
    AgentProperties properties =
        TestProperties.of(
            "dra.agent.mode=" + mode,
            "dra.agent.wipe.delay=30s",
            "dra.agent.diagnostics.slices-grace=2m");
    api = new EventsApi();
    client = api.client(Duration.ofSeconds(1));
    NodeIdentity node = new NodeIdentity(client, clock, properties, scheduler);
    node.check();
    when(inventory.synced()).thenReturn(true);
    when(inventory.byDriver()).thenReturn(Map.of());
    when(inventory.subscribe(any())).thenReturn((Subscription) () -> {});
    when(health.health(anyString()))
        .thenReturn(new DriverHealth(HealthSupport.NOT_ADVERTISED, false, List.of(), null));
    when(health.subscribe(any())).thenReturn((Subscription) () -> {});
    when(wiper.wipe(anyString(), anyBoolean(), any()))
        .thenAnswer(
            call -> {
              if (failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("HTTP 503: overloaded");
              }
              return new SliceWiper.Outcome(2, false);
            });
    EventBus bus = new EventBus();
    history = new WipeHistory();
    wipes = new PendingWipes(scheduler, wiper, history, bus, clock, properties);
    store = new PluginStore(bus, clock, List.of(wipes));
    conditions =
        new DriverConditions(store, wipes, inventory, health, scheduler, clock, properties);
    StaticListableBeanFactory beans = new StaticListableBeanFactory();
    EventRecorder recorder =
        new EventRecorder(
            client,
            node,
            scheduler,
            reportExecutor,
            clock,
            properties,
            beans.getBeanProvider(MeterRegistry.class));
    events = new NodeEvents(recorder, store, wipes, conditions, properties);
    wipes.start();
    conditions.start();
    events.start();
    scheduler.runDue();
  }

  @AfterEach
  void tearDown() {
    events.stop();
    conditions.stop();
    wipes.stop();
    ExecutorService thread = reportThread;
    if (thread != null) {
      thread.shutdownNow();
    }
    client.close();
    api.close();
  }

  String endpoint(String instance) {
    return "/var/lib/kubelet/plugins/" + GPU + "/" + instance + ".sock";
  }

  void connected(String instance) {
    store.register(
        GPU,
        endpoint(instance),
        Path.of(REGISTRY, GPU + "-" + instance + ".sock"),
        "v1.DRAPlugin",
        null);
    store.setConnection(GPU, endpoint(instance), ConnectionState.CONNECTED);
    scheduler.runDue();
  }

  void gone(String instance) {
    store.deregister(GPU, endpoint(instance), "registration socket removed");
    scheduler.runDue();
  }

  List<String> reasons() {
    return api.events().stream().map(Event::getReason).toList();
  }

  Event last(String reason) {
    List<Event> of = api.events().stream().filter(e -> e.getReason().equals(reason)).toList();
    assertThat(of).as("Events %s", reason).isNotEmpty();
    return of.get(of.size() - 1);
  }

  @Test
  void aDriversLifeInEvents() {
    start("registrar", Runnable::run);

    connected("a");
    assertThat(last(NodeEvents.DRIVER_REGISTERED).getMessage())
        .isEqualTo(
            "Registered instance " + endpoint("a") + " of DRA driver " + GPU + " (v1.DRAPlugin)");
    assertThat(last(NodeEvents.DRIVER_REGISTERED).getType()).isEqualTo("Normal");

    gone("a");
    Event unusable = last(NodeEvents.DRIVER_UNUSABLE);
    assertThat(unusable.getType()).isEqualTo("Warning");
    assertThat(unusable.getMessage())
        .startsWith("DRA driver " + GPU + " is unusable (no instance registered)")
        .endsWith("will be deleted at 2026-12-01T10:00:30Z unless it comes back");

    scheduler.advance(Duration.ofSeconds(10));
    connected("b"); // back within the grace period
    assertThat(last(NodeEvents.DRIVER_RECOVERED).getMessage())
        .isEqualTo(
            "The deletion of the ResourceSlices of DRA driver "
                + GPU
                + " due at 2026-12-01T10:00:30Z was cancelled: driver usable again (instance "
                + endpoint("b")
                + " connected)");

    gone("b");
    scheduler.advance(Duration.ofSeconds(30));
    assertThat(last(NodeEvents.SLICES_WIPED).getMessage())
        .isEqualTo(
            "Deleted 2 ResourceSlices of DRA driver "
                + GPU
                + " from this node (deleted 2 ResourceSlice(s) after 1 attempt(s))");

    wipes.request("orphan.example.com", WipeCause.ORPHANED, "start-up sweep", clock.instant());
    scheduler.runDue();
    assertThat(last(NodeEvents.ORPHAN_SLICES_DELETED).getMessage())
        .isEqualTo(
            "Deleted 2 ResourceSlices of DRA driver orphan.example.com, which has no instance on"
                + " this node");

    assertThat(reasons())
        .containsExactly(
            NodeEvents.DRIVER_REGISTERED,
            NodeEvents.DRIVER_UNUSABLE,
            NodeEvents.DRIVER_REGISTERED,
            NodeEvents.DRIVER_RECOVERED,
            NodeEvents.DRIVER_UNUSABLE,
            NodeEvents.SLICES_WIPED,
            NodeEvents.ORPHAN_SLICES_DELETED);
  }

  @Test
  void aWipeThatKeepsFailingIsReportedAtThreeSixAndTwelveFailures() {
    start("registrar", Runnable::run);
    failuresLeft.set(12);
    connected("a");
    gone("a");

    for (int i = 0; i < 20 && scheduler.nextDue().isPresent(); i++) {
      scheduler.advanceToNext();
    }

    List<Event> failing =
        api.events().stream().filter(e -> e.getReason().equals(NodeEvents.WIPE_FAILING)).toList();
    assertThat(failing)
        .extracting(Event::getMessage)
        .allMatch(m -> m.contains("last error: HTTP 503: overloaded"))
        .anyMatch(m -> m.contains(" failed 3 times"))
        .anyMatch(m -> m.contains(" failed 6 times"))
        .anyMatch(m -> m.contains(" failed 12 times"))
        .hasSize(3);
    assertThat(reasons()).contains(NodeEvents.SLICES_WIPED);
  }

  @Test
  void aUsableDriverWithoutSlicesAndUnhealthyDevicesAreReported() {
    start("registrar", Runnable::run);
    when(health.health(GPU))
        .thenReturn(
            new DriverHealth(
                HealthSupport.STREAMING,
                true,
                List.of(
                    new DeviceHealthEntry(
                        GPU, "pool", "gpu-0", Health.UNHEALTHY, clock.instant(), "ECC")),
                null));
    connected("a");
    assertThat(last(NodeEvents.DEVICES_UNHEALTHY).getMessage())
        .isEqualTo("DRA driver " + GPU + ": 1 of 1 device unhealthy: pool/gpu-0");

    scheduler.advance(Duration.ofMinutes(2));
    assertThat(last(NodeEvents.DRIVER_PUBLISHES_NO_SLICES).getMessage())
        .startsWith("DRA driver " + GPU + " publishes no ResourceSlice: usable for more than 2m");
  }

  @Test
  void refusalsSayWhoDecides() {
    start("registrar", Runnable::run);
    store.reject(
        new Rejection(
            Path.of(REGISTRY, "bad.sock"),
            "Bad_Name",
            "invalid DRA driver name",
            1,
            clock.instant(),
            false));
    // A plugin that cannot be reached: told once it persists, by its status code alone, so that
    // its repeats are one Event with a count.
    for (int attempt = 1; attempt <= 6; attempt++) {
      store.reject(
          new Rejection(
              Path.of(REGISTRY, "late.sock"),
              null,
              "DEADLINE_EXCEEDED: deadline exceeded after 0.3" + attempt + "s",
              attempt,
              clock.instant(),
              true));
    }
    scheduler.advance(Duration.ofSeconds(5));

    assertThat(api.events())
        .extracting(Event::getMessage, Event::getCount)
        .containsExactly(
            tuple(
                "Refused the plugin at bad.sock (driver \"Bad_Name\"): invalid DRA driver name", 1),
            tuple(
                "Cannot reach the plugin at late.sock (DEADLINE_EXCEEDED); retrying with backoff",
                4));
  }

  /** Beside a kubelet the agent decides nothing: the wording says what it saw. */
  @Test
  void inObserverModeTheWordingLeavesTheDecisionToTheKubelet() {
    start("observer", Runnable::run);
    store.reject(
        new Rejection(
            Path.of(REGISTRY, "bad.sock"), GPU, "invalid endpoint", 1, clock.instant(), false));
    connected("a");

    assertThat(last(NodeEvents.PLUGIN_REJECTED).getMessage())
        .isEqualTo(
            "The agent's validation refuses the plugin at bad.sock (driver \""
                + GPU
                + "\"): invalid endpoint (the kubelet decides whether it is registered)");
    assertThat(last(NodeEvents.DRIVER_REGISTERED).getMessage())
        .isEqualTo(
            "Found instance "
                + endpoint("a")
                + " of DRA driver "
                + GPU
                + " (v1.DRAPlugin); the kubelet registers it");
  }

  /**
   * Invariant 8: while the API server sits on an Event write, a registration completes and a due
   * wipe runs; the write is waiting on the report thread, not on theirs.
   */
  @Test
  void aHangingApiServerDelaysNoRegistrationAndNoWipe() {
    ExecutorService thread = Executors.newSingleThreadExecutor();
    reportThread = thread;
    start("registrar", thread);
    api.hangEventWrites();

    connected("a"); // registers, connects: the DRADriverRegistered write hangs
    await().atMost(Duration.ofSeconds(10)).until(() -> api.eventWrites().size() == 1);
    assertThat(store.driver(GPU)).isPresent();

    gone("a");
    scheduler.advance(Duration.ofSeconds(30));
    assertThat(history.recent())
        .singleElement()
        .satisfies(r -> assertThat(r.deleted()).isEqualTo(2));
    assertThat(api.eventWrites()).hasSize(1); // the others are still queued behind it
  }
}
