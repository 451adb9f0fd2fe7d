package io.dranode.agent.clusterview;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.dranode.agent.cleanup.NodeIdentity;
import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.cleanup.SliceWiper;
import io.dranode.agent.cleanup.SweepExemptions;
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.condition.DriverConditions;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.devicehealth.DeviceHealthListener;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.devicehealth.DriverHealth;
import io.dranode.agent.devicehealth.Health;
import io.dranode.agent.devicehealth.HealthSupport;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.event.Subscription;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.quarantine.Quarantines;
import io.dranode.agent.testing.ManualScheduler;
import io.dranode.agent.testing.MutableClock;
import io.dranode.agent.testing.TestProperties;
import io.dranode.agent.view.AgentViews;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.mock.env.MockEnvironment;

/**
 * The cluster view's writer with everything it reads, on driven time: a real store, real pending
 * wipes and wipe history, real conditions and the real read model; the slice informer and device
 * health as doubles that tell their listeners like the real ones; the mock API of {@link
 * ClusterViewApi}. Writes run on the thread that drives time (the report executor is direct), so a
 * test sees every request as soon as {@link ManualScheduler#advance} returns.
 */
final class ClusterViewRig implements AutoCloseable {

  static final Instant START = Instant.parse("2026-12-01T10:00:00Z");
  static final String REGISTRY = "/var/lib/kubelet/plugins_registry";

  final MutableClock clock = new MutableClock(START);
  final ManualScheduler scheduler = new ManualScheduler(clock);
  final MeterRegistry meters = new SimpleMeterRegistry();
  final AgentProperties properties;
  final ClusterViewApi api;
  final KubernetesClient client;
  final EventBus bus = new EventBus();
  final WipeHistory history = new WipeHistory();
  final SliceWiper wiper = mock(SliceWiper.class);
  final SliceInventory inventory = mock(SliceInventory.class);
  final DeviceHealthMonitor deviceHealth = mock(DeviceHealthMonitor.class);
  final Quarantines quarantines = mock(Quarantines.class);
  final PendingWipes wipes;
  final PluginStore store;
  final DriverConditions conditions;
  final NodeIdentity node;
  final ClusterView view;
  final DRANodeWriter writer;

  private final Map<String, List<ResourceSlice>> slices = new ConcurrentHashMap<>();
  private final Map<String, Map<Health, Integer>> devices = new ConcurrentHashMap<>();
  private final List<Runnable> sliceListeners = new CopyOnWriteArrayList<>();
  private final Map<String, List<String>> rules = new ConcurrentHashMap<>();
  private final List<Runnable> quarantineListeners = new CopyOnWriteArrayList<>();
  private final List<DeviceHealthListener> healthListeners = new CopyOnWriteArrayList<>();

  ClusterViewRig(String... properties) {
    this(Runnable::run, properties);
  }

  ClusterViewRig(Executor reportExecutor, String... pairs) {
    List<String> all = new ArrayList<>(List.of("dra.agent.kubelet-root-dir=/var/lib/kubelet"));
    all.addAll(List.of(pairs));
    this.properties = TestProperties.of(all.toArray(String[]::new));
    this.api = new ClusterViewApi();
    this.client = api.client(Duration.ofSeconds(2));
    when(inventory.synced()).thenReturn(true);
    when(inventory.byDriver()).thenAnswer(call -> new TreeMap<>(slices));
    when(inventory.subscribe(any()))
        .thenAnswer(
            call -> {
              Runnable listener = call.getArgument(0);
              sliceListeners.add(listener);
              return (Subscription) () -> sliceListeners.remove(listener);
            });
    when(deviceHealth.health(anyString()))
        .thenReturn(new DriverHealth(HealthSupport.NOT_ADVERTISED, false, List.of(), null));
    when(deviceHealth.summary(anyString()))
        .thenAnswer(call -> summary(devices.get(call.<String>getArgument(0))));
    when(deviceHealth.subscribe(any()))
        .thenAnswer(
            call -> {
              DeviceHealthListener listener = call.getArgument(0);
              healthListeners.add(listener);
              return (Subscription) () -> healthListeners.remove(listener);
            });
    when(quarantines.rules(anyString()))
        .thenAnswer(call -> rules.getOrDefault(call.<String>getArgument(0), List.of()));
    when(quarantines.subscribe(any()))
        .thenAnswer(
            call -> {
              Runnable listener = call.getArgument(0);
              quarantineListeners.add(listener);
              return (Subscription) () -> quarantineListeners.remove(listener);
            });
    when(wiper.wipe(anyString(), anyBoolean(), any())).thenReturn(new SliceWiper.Outcome(1, false));
    wipes = new PendingWipes(scheduler, wiper, history, bus, clock, properties);
    store = new PluginStore(bus, clock, List.of(wipes));
    conditions =
        new DriverConditions(store, wipes, inventory, deviceHealth, scheduler, clock, properties);
    node = new NodeIdentity(client, clock, properties, scheduler);
    AgentViews views =
        new AgentViews(
            store,
            wipes,
            history,
            inventory,
            new SweepExemptions(properties),
            deviceHealth,
            conditions,
            quarantines,
            properties);
    MockEnvironment environment = new MockEnvironment().withProperty("POD_NAME", "agent-x7k2p");
    view =
        new ClusterView(
            views,
            inventory,
            new SweepExemptions(properties),
            history,
            conditions,
            properties,
            client,
            clock,
            environment);
    StaticListableBeanFactory beans = new StaticListableBeanFactory();
    beans.addBean("meters", meters);
    writer =
        new DRANodeWriter(
            view,
            client,
            node,
            store,
            wipes,
            conditions,
            inventory,
            deviceHealth,
            quarantines,
            scheduler,
            reportExecutor,
            clock,
            properties,
            beans.getBeanProvider(MeterRegistry.class));
  }

  private static Map<Health, Integer> summary(@Nullable Map<Health, Integer> counts) {
    Map<Health, Integer> all = new EnumMap<>(Health.class);
    for (Health health : Health.values()) {
      all.put(health, counts == null ? 0 : counts.getOrDefault(health, 0));
    }
    return all;
  }

  /** Starts in the agent's phase order, then tells the writer the application is ready. */
  ClusterViewRig start() {
    node.check();
    wipes.start();
    conditions.start();
    writer.start();
    scheduler.runDue();
    writer.ready();
    scheduler.runDue();
    return this;
  }

  // --- what happens on the node ---

  static String endpoint(String driver, String instance) {
    return "/var/lib/kubelet/plugins/" + driver + "/" + instance + ".sock";
  }

  void register(String driver, String instance) {
    store.register(
        driver,
        endpoint(driver, instance),
        Path.of(REGISTRY, driver + "-" + instance + "-reg.sock"),
        "v1.DRAPlugin",
        "v1.DRAResourceHealth");
  }

  void connect(String driver, String instance) {
    store.setConnection(driver, endpoint(driver, instance), ConnectionState.CONNECTED);
  }

  void disconnect(String driver, String instance) {
    store.setConnection(driver, endpoint(driver, instance), ConnectionState.DISCONNECTED);
  }

  void deregister(String driver, String instance) {
    store.deregister(driver, endpoint(driver, instance), "registration socket removed");
  }

  /** The driver publishes (or loses) its slices on this node: the informer tells. */
  void slices(String driver, int count) {
    List<ResourceSlice> list = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      list.add(
          new ResourceSliceBuilder()
              .withNewMetadata()
              .withName(driver + "-" + i)
              .endMetadata()
              .withNewSpec()
              .withDriver(driver)
              .withNodeName(ClusterViewApi.NODE)
              .endSpec()
              .build());
    }
    if (count == 0) {
      slices.remove(driver);
    } else {
      slices.put(driver, list);
    }
    sliceListeners.forEach(Runnable::run);
  }

  /** The quarantine made (or, with none, deleted) the driver's DeviceTaintRules. */
  void taintRules(String driver, String... names) {
    if (names.length == 0) {
      rules.remove(driver);
    } else {
      rules.put(driver, List.of(names));
    }
    quarantineListeners.forEach(Runnable::run);
  }

  /** The driver's health stream reports its devices. */
  void devices(String driver, int healthy, int unhealthy) {
    devices.put(driver, Map.of(Health.HEALTHY, healthy, Health.UNHEALTHY, unhealthy));
    healthListeners.forEach(l -> l.deviceHealthChanged(driver));
  }

  /** Everything due by then runs, writes included. */
  void advance(Duration by) {
    scheduler.advance(by);
  }

  int applies() {
    return api.applies().size();
  }

  int requests() {
    return api.requests().size();
  }

  @Override
  public void close() {
    writer.stop();
    conditions.stop();
    wipes.stop();
    client.close();
    api.close();
  }
}
