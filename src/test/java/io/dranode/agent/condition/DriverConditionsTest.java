package io.dranode.agent.condition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.cleanup.SliceWiper;
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.devicehealth.DriverHealth;
import io.dranode.agent.devicehealth.HealthSupport;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.testing.ManualScheduler;
import io.dranode.agent.testing.MutableClock;
import io.dranode.agent.testing.TestProperties;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The conditions over time, on driven time: a real store and real pending wipes, the informer and
 * device health as narrow doubles. Nothing polls: every change is told, and the one wait that time
 * alone ends (the slices' grace period) is a task on the scheduler.
 */
class DriverConditionsTest {

  static final String GPU = "gpu.example.com";
  static final Instant START = Instant.parse("2026-12-01T10:00:00Z");

  final MutableClock clock = new MutableClock(START);
  final ManualScheduler scheduler = new ManualScheduler(clock);
  final AgentProperties properties =
      TestProperties.of("dra.agent.diagnostics.slices-grace=2m", "dra.agent.wipe.delay=30s");
  final SliceInventory inventory = mock(SliceInventory.class);
  final DeviceHealthMonitor health = mock(DeviceHealthMonitor.class);
  final SliceWiper wiper = mock(SliceWiper.class);
  final AtomicReference<@Nullable Runnable> slicesChanged = new AtomicReference<>();
  final List<String> told = new CopyOnWriteArrayList<>();

  PluginStore store;
  PendingWipes wipes;
  DriverConditions conditions;

  @BeforeEach
  void setUp() {
    when(inventory.synced()).thenReturn(true);
    when(inventory.byDriver()).thenReturn(Map.of());
    when(inventory.subscribe(any()))
        .thenAnswer(
            call -> {
              slicesChanged.set(call.getArgument(0));
              return (io.dranode.agent.event.Subscription) () -> {};
            });
    when(health.health(anyString()))
        .thenReturn(new DriverHealth(HealthSupport.NOT_ADVERTISED, false, List.of(), null));
    when(health.subscribe(any())).thenReturn(() -> {});
    when(wiper.wipe(anyString(), anyBoolean(), any())).thenReturn(new SliceWiper.Outcome(1, false));
    EventBus bus = new EventBus();
    wipes = new PendingWipes(scheduler, wiper, new WipeHistory(), bus, clock, properties);
    store = new PluginStore(bus, clock, List.of(wipes));
    wipes.start();
    conditions =
        new DriverConditions(store, wipes, inventory, health, scheduler, clock, properties);
    conditions.subscribe(
        new ConditionListener() {
          @Override
          public void conditionChanged(String driver, @Nullable Condition before, Condition after) {
            told.add(driver + " " + after.type() + "=" + after.status().wireName());
          }

          @Override
          public void driverForgotten(String driver) {
            told.add(driver + " forgotten");
          }
        });
    conditions.start();
    scheduler.runDue();
  }

  @AfterEach
  void tearDown() {
    conditions.stop();
    wipes.stop();
  }

  private Condition condition(String driver, String type) {
    return conditions.of(driver).stream()
        .filter(c -> c.type().equals(type))
        .findFirst()
        .orElseThrow(() -> new AssertionError(driver + " has no " + type + " condition"));
  }

  private String endpoint(String instance) {
    return "/var/lib/kubelet/plugins/" + GPU + "/" + instance + ".sock";
  }

  private void connected(String instance) {
    store.register(
        GPU, endpoint(instance), Path.of("/reg/" + instance + ".sock"), "v1.DRAPlugin", null);
    store.setConnection(GPU, endpoint(instance), ConnectionState.CONNECTED);
  }

  private static ResourceSlice slice(String name) {
    return new ResourceSliceBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withDriver(GPU)
        .withNodeName("worker")
        .endSpec()
        .build();
  }

  @Test
  void aUsableDriverWithoutSlicesIsFlaggedWhenTheGraceEndsAndClearedWhenASliceAppears() {
    connected("a");
    scheduler.runDue();
    assertThat(condition(GPU, Conditions.SLICES_PUBLISHED).reason())
        .isEqualTo(Conditions.SLICES_NOT_SYNCED);

    scheduler.advance(Duration.ofMinutes(2).minusSeconds(1));
    assertThat(condition(GPU, Conditions.SLICES_PUBLISHED).status())
        .isEqualTo(ConditionStatus.UNKNOWN);

    scheduler.advance(Duration.ofSeconds(1));
    Condition noSlices = condition(GPU, Conditions.SLICES_PUBLISHED);
    assertThat(noSlices.status()).isEqualTo(ConditionStatus.FALSE);
    assertThat(noSlices.reason()).isEqualTo(Conditions.NO_RESOURCE_SLICES);
    assertThat(noSlices.lastTransitionTime()).isEqualTo(START.plus(Duration.ofMinutes(2)));

    when(inventory.byDriver()).thenReturn(Map.of(GPU, List.of(slice("s-1"))));
    java.util.Objects.requireNonNull(slicesChanged.get()).run();
    scheduler.runDue();
    assertThat(condition(GPU, Conditions.SLICES_PUBLISHED).status())
        .isEqualTo(ConditionStatus.TRUE);
    assertThat(told)
        .containsSubsequence(
            GPU + " SlicesPublished=Unknown",
            GPU + " SlicesPublished=False",
            GPU + " SlicesPublished=True");
  }

  @Test
  void theTransitionTimeMovesOnlyWhenTheStatusDoes() {
    connected("a");
    scheduler.runDue();
    Instant connectedAt = condition(GPU, Conditions.CONNECTED).lastTransitionTime();

    scheduler.advance(Duration.ofSeconds(10));
    connected("b"); // a rolling update: the message changes, the status does not
    scheduler.runDue();

    Condition both = condition(GPU, Conditions.CONNECTED);
    assertThat(both.message()).isEqualTo("2 of 2 instances connected");
    assertThat(both.lastTransitionTime()).isEqualTo(connectedAt);

    scheduler.advance(Duration.ofSeconds(10));
    store.setConnection(GPU, endpoint("a"), ConnectionState.DISCONNECTED);
    store.setConnection(GPU, endpoint("b"), ConnectionState.DISCONNECTED);
    scheduler.runDue();
    assertThat(condition(GPU, Conditions.CONNECTED).lastTransitionTime())
        .isEqualTo(START.plusSeconds(20));
  }

  /** A driver that left keeps its entry, and says why, until its pending wipe has run. */
  @Test
  void aGoneDriverKeepsItsEntryWhileItsWipeIsPending() {
    connected("a");
    scheduler.runDue();
    store.deregister(GPU, endpoint("a"), "registration socket removed");
    scheduler.runDue();

    Condition registered = condition(GPU, Conditions.REGISTERED);
    assertThat(registered.status()).isEqualTo(ConditionStatus.FALSE);
    assertThat(registered.reason()).isEqualTo(Conditions.NO_INSTANCE);
    assertThat(registered.message()).endsWith("the last one left: registration socket removed");
    assertThat(condition(GPU, Conditions.CONNECTED).reason()).isEqualTo(Conditions.DISCONNECTED);

    scheduler.advance(Duration.ofSeconds(30)); // the wipe runs and ends
    scheduler.runDue();

    assertThat(conditions.byDriver()).doesNotContainKey(GPU);
    assertThat(told).endsWith(GPU + " forgotten");
  }

  @Test
  void aRefusedSocketNamingAValidDriverGetsAnEntryWithTheReasonAndAnInvalidNameNone() {
    Instant now = clock.instant();
    store.reject(
        new Rejection(
            Path.of("/reg/x.sock"),
            GPU,
            "DRA plugin endpoint \"/etc\" is not inside",
            1,
            now,
            false));
    store.reject(new Rejection(Path.of("/reg/y.sock"), "Bad_Name", "invalid", 1, now, false));
    scheduler.runDue();

    assertThat(conditions.byDriver()).containsOnlyKeys(GPU);
    Condition registered = condition(GPU, Conditions.REGISTERED);
    assertThat(registered.reason()).isEqualTo(Conditions.REJECTED);
    assertThat(registered.message()).isEqualTo("DRA plugin endpoint \"/etc\" is not inside");
  }

  @Test
  void aRefusedDriverIsForgottenWhenItsSocketGoes() {
    store.reject(new Rejection(Path.of("/reg/x.sock"), GPU, "refused", 1, clock.instant(), false));
    scheduler.runDue();
    assertThat(conditions.byDriver()).containsOnlyKeys(GPU);

    store.forgetSocket(Path.of("/reg/x.sock"));
    scheduler.runDue();

    assertThat(conditions.byDriver()).isEmpty();
    assertThat(told).endsWith(GPU + " forgotten");
  }

  @Test
  void driversReadyFollowsEveryDriver() {
    when(inventory.byDriver()).thenReturn(Map.of(GPU, List.of(slice("s-1"))));
    connected("a");
    scheduler.runDue();
    assertThat(conditions.driversReady())
        .extracting(Condition::status)
        .isEqualTo(ConditionStatus.TRUE);

    store.setConnection(GPU, endpoint("a"), ConnectionState.DISCONNECTED);
    scheduler.runDue();
    Condition ready = java.util.Objects.requireNonNull(conditions.driversReady());
    assertThat(ready.status()).isEqualTo(ConditionStatus.FALSE);
    assertThat(ready.message()).endsWith(GPU);
  }

  /** Many changes before an evaluation runs make one evaluation, not one each. */
  @Test
  void changesAreCoalescedIntoOneEvaluation() {
    int before = scheduler.executed();
    for (int i = 0; i < 20; i++) {
      conditions.request();
    }
    scheduler.runDue();

    assertThat(scheduler.executed() - before).isEqualTo(1);
  }

  @Test
  void nothingIsEvaluatedOnceStopped() {
    conditions.stop();
    connected("a");
    scheduler.runDue();

    assertThat(conditions.byDriver()).isEmpty();
    assertThat(scheduler.queued()).isEmpty();
  }
}
