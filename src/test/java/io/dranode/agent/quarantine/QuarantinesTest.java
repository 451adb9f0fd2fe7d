package io.dranode.agent.quarantine;

import static org.assertj.core.api.Assertions.assertThat;
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
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.report.EventRecorder;
import io.dranode.agent.testing.ManualScheduler;
import io.dranode.agent.testing.MutableClock;
import io.dranode.agent.testing.TestProperties;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

/**
 * The quarantine against the CRUD mock, with the agent's real store and pending wipes on driven
 * time: one NoSchedule rule per pool of this node while a driver is unusable, lifted when it comes
 * back and after its wipe, swept at start-up, in the API version the server serves.
 */
@SuppressWarnings("NullAway.Init") // each test starts the agent its way: start(...)
class QuarantinesTest {

  static final String GPU = "gpu.example.com";
  static final String NODE = TaintRulesApi.NODE;

  final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  final ManualScheduler scheduler = new ManualScheduler(clock);
  final SliceInventory inventory = mock(SliceInventory.class);
  final SliceWiper wiper = mock(SliceWiper.class);
  final MeterRegistry meters = new SimpleMeterRegistry();
  final List<String> events = new ArrayList<>();

  TaintRulesApi api;
  KubernetesClient client;
  @Nullable ExecutorService reportThread;
  PluginStore store;
  PendingWipes wipes;
  Quarantines quarantines;

  void start(String pools, Executor executor, String... versions) {
    AgentProperties properties =
        TestProperties.of(
            "dra.agent.node-name=" + NODE,
            "dra.agent.wipe.delay=30s",
            "dra.agent.quarantine.enabled=true",
            "dra.agent.quarantine.pools=" + pools);
    api = new TaintRulesApi(versions);
    client = api.client();
    NodeIdentity node = new NodeIdentity(client, clock, properties, scheduler);
    node.check();
    when(inventory.byDriver())
        .thenReturn(
            Map.of(
                GPU,
                List.of(slice("s-1", NODE), slice("s-2", NODE), slice("s-3", "shared/pool-a")),
                "other.example.com",
                List.of(slice("o-1", NODE))));
    when(wiper.wipe(anyString(), anyBoolean(), any())).thenReturn(new SliceWiper.Outcome(3, false));
    EventBus bus = new EventBus();
    wipes = new PendingWipes(scheduler, wiper, new WipeHistory(), bus, clock, properties);
    store = new PluginStore(bus, clock, List.of(wipes));
    EventRecorder recorder =
        new EventRecorder(
            client,
            node,
            scheduler,
            Runnable::run,
            clock,
            properties,
            new StaticListableBeanFactory().getBeanProvider(MeterRegistry.class)) {
          @Override
          public void record(Type type, String reason, String message) {
            events.add(reason + ": " + message);
          }
        };
    StaticListableBeanFactory beans = new StaticListableBeanFactory();
    beans.addBean("meters", meters);
    quarantines =
        new Quarantines(
            client,
            node,
            inventory,
            wipes,
            recorder,
            scheduler,
            executor,
            properties,
            beans.getBeanProvider(MeterRegistry.class));
    wipes.start();
    quarantines.start();
  }

  @AfterEach
  void tearDown() {
    quarantines.stop();
    wipes.stop();
    ExecutorService thread = reportThread;
    if (thread != null) {
      thread.shutdownNow();
    }
    client.close();
    api.close();
  }

  static ResourceSlice slice(String name, String pool) {
    return new ResourceSliceBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withDriver(GPU)
        .withNodeName(NODE)
        .withNewPool()
        .withName(pool)
        .withGeneration(1L)
        .withResourceSliceCount(1L)
        .endPool()
        .endSpec()
        .build();
  }

  String endpoint(String instance) {
    return "/var/lib/kubelet/plugins/" + GPU + "/" + instance + ".sock";
  }

  void connected(String instance) {
    store.register(
        GPU, endpoint(instance), Path.of("/r/" + instance + ".sock"), "v1.DRAPlugin", null);
    store.setConnection(GPU, endpoint(instance), ConnectionState.CONNECTED);
  }

  void unusable(String instance) {
    store.setConnection(GPU, endpoint(instance), ConnectionState.DISCONNECTED);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> spec(GenericKubernetesResource rule) {
    return (Map<String, Object>)
        java.util.Objects.requireNonNull(rule.getAdditionalProperties().get("spec"), "spec");
  }

  static String pool(GenericKubernetesResource rule) {
    Object selector = spec(rule).get("deviceSelector");
    return selector instanceof Map<?, ?> map ? String.valueOf(map.get("pool")) : "none";
  }

  @Test
  void anUnusableDriversPoolOfThisNodeIsTaintedNoSchedule() {
    start("node", Runnable::run, "v1");
    connected("a");
    assertThat(api.rules("v1")).isEmpty();

    unusable("a");

    GenericKubernetesResource rule = api.rules("v1").get(0);
    assertThat(api.rules("v1")).hasSize(1);
    assertThat(spec(rule))
        .isEqualTo(
            Map.of(
                "deviceSelector",
                Map.of("driver", GPU, "pool", NODE),
                "taint",
                Map.of("key", Quarantines.TAINT_KEY, "value", GPU, "effect", "NoSchedule")));
    assertThat(rule.getMetadata().getLabels()).containsEntry(Quarantines.NODE_LABEL, NODE);
    assertThat(rule.getMetadata().getName())
        .startsWith(NODE + "-" + GPU.replace('.', '-'))
        .hasSizeLessThanOrEqualTo(253);
    assertThat(rule.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.getKind()).isEqualTo("Node");
              assertThat(o.getName()).isEqualTo(NODE);
              assertThat(o.getUid()).isEqualTo(api.nodeUid);
            });
    assertThat(quarantines.rules(GPU)).containsExactly(rule.getMetadata().getName());
    assertThat(meters.get("dra.agent.quarantined.pools").tag("driver", GPU).gauge().value())
        .isEqualTo(1.0);
    assertThat(events)
        .singleElement()
        .asString()
        .startsWith(Quarantines.DEVICES_QUARANTINED + ": ");
  }

  @Test
  void withPoolsAnyEveryPoolOfThisNodesSlicesIsTainted() {
    start("any", Runnable::run, "v1");
    connected("a");
    unusable("a");

    assertThat(api.rules("v1"))
        .extracting(QuarantinesTest::pool)
        .containsExactlyInAnyOrder(NODE, "shared/pool-a");
    assertThat(api.rules("v1")).allMatch(r -> r.getMetadata().getName().matches("[a-z0-9.-]+"));
  }

  @Test
  void theQuarantineIsLiftedWhenTheDriverComesBackInsideTheGrace() {
    start("node", Runnable::run, "v1");
    List<List<String>> seen = new java.util.ArrayList<>();
    quarantines.subscribe(() -> seen.add(quarantines.rules(GPU)));
    connected("a");
    unusable("a");
    assertThat(api.rules("v1")).hasSize(1);
    assertThat(seen).as("subscribers hear of the new rule").hasSize(1);
    assertThat(seen.get(0)).containsExactly(api.rules("v1").get(0).getMetadata().getName());

    scheduler.advance(Duration.ofSeconds(10));
    store.setConnection(GPU, endpoint("a"), ConnectionState.CONNECTED);

    assertThat(api.rules("v1")).isEmpty();
    assertThat(quarantines.rules(GPU)).isEmpty();
    assertThat(seen).as("and of its deletion").hasSize(2);
    assertThat(seen.get(1)).isEmpty();
    assertThat(meters.find("dra.agent.quarantined.pools").gauges()).isEmpty();
    assertThat(events.get(1)).startsWith(Quarantines.QUARANTINE_LIFTED).contains("usable again");
  }

  @Test
  void theQuarantineIsLiftedOnceTheSlicesAreWiped() {
    start("node", Runnable::run, "v1");
    connected("a");
    store.deregister(GPU, endpoint("a"), "gone");
    assertThat(api.rules("v1")).hasSize(1);

    scheduler.advance(Duration.ofSeconds(30));

    assertThat(api.rules("v1")).isEmpty();
    assertThat(events.get(1)).contains("its ResourceSlices were deleted");
  }

  /** Rules of this node that no pending wipe explains (an earlier run's) go; other nodes' stay. */
  @Test
  void rulesNoPendingWipeExplainsAreSweptAtStartUp() {
    start("node", Runnable::run, "v1");
    quarantines.stop();
    api.put("v1", rule("worker-left-over", NODE));
    api.put("v1", rule("elsewhere-rule", "elsewhere"));

    quarantines.start();

    assertThat(api.rules("v1"))
        .extracting(r -> r.getMetadata().getName())
        .containsExactly("elsewhere-rule");
  }

  static GenericKubernetesResource rule(String name, String node) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("resource.k8s.io/v1")
        .withKind("DeviceTaintRule")
        .withNewMetadata()
        .withName(name)
        .addToLabels(Quarantines.NODE_LABEL, node)
        .endMetadata()
        .build();
  }

  @Test
  void v1beta2IsUsedWhereV1IsNotServed() {
    start("node", Runnable::run, "v1beta2");
    connected("a");
    unusable("a");

    assertThat(quarantines.api()).isEqualTo(Quarantines.Api.V1BETA2);
    assertThat(api.rules("v1beta2")).hasSize(1);
    assertThat(api.writes()).allMatch(w -> w.contains("/apis/resource.k8s.io/v1beta2/"));
  }

  @Test
  void withNeitherVersionServedQuarantineIsOffAndNothingElseChanges() {
    start("node", Runnable::run);
    connected("a");
    unusable("a");

    assertThat(quarantines.api()).isEqualTo(Quarantines.Api.NONE);
    assertThat(api.writes()).isEmpty();
    assertThat(wipes.pendingFor(GPU)).isPresent();
  }

  /** Failed creates are retried with backoff on the scheduler; the wipe is unaffected. */
  @Test
  void failuresAreRetriedWithBackoff() {
    start("node", Runnable::run, "v1");
    api.failCreates(2);
    connected("a");
    unusable("a");
    assertThat(api.rules("v1")).isEmpty();
    assertThat(quarantines.lastError()).startsWith("HTTP 500");

    scheduler.advance(Duration.ofSeconds(1));
    assertThat(api.rules("v1")).isEmpty();
    scheduler.advance(Duration.ofSeconds(2));

    assertThat(api.rules("v1")).hasSize(1);
    assertThat(quarantines.lastError()).isNull();
    assertThat(api.writes()).filteredOn(w -> w.startsWith("POST")).hasSize(3);
    assertThat(wipes.pendingFor(GPU)).isPresent();
  }

  /** A creation in flight when the driver comes back is undone by the next reconciliation. */
  @Test
  void aCreationRacingTheDriversReturnIsUndone() throws Exception {
    ExecutorService thread = Executors.newSingleThreadExecutor();
    reportThread = thread;
    start("node", thread, "v1");
    await().atMost(Duration.ofSeconds(10)).until(() -> quarantines.api() == Quarantines.Api.V1);
    api.holdCreates();
    connected("a");
    unusable("a");
    assertThat(api.awaitCreate()).isTrue();

    store.setConnection(GPU, endpoint("a"), ConnectionState.CONNECTED); // back, while it creates
    api.release();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> api.writes().stream().anyMatch(w -> w.startsWith("DELETE")));
    await().atMost(Duration.ofSeconds(20)).until(() -> quarantines.rules(GPU).isEmpty());
    assertThat(api.rules("v1")).isEmpty();
  }

  @Test
  void nothingIsWrittenOnceStopped() {
    start("node", Runnable::run, "v1");
    connected("a");
    quarantines.stop();

    unusable("a");
    scheduler.advance(Duration.ofMinutes(10));

    assertThat(api.writes()).isEmpty();
  }
}
