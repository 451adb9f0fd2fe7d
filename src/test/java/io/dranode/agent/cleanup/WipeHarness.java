package io.dranode.agent.cleanup;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.testing.ManualScheduler;
import io.dranode.agent.testing.MutableClock;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The cleanup wired as in the application, minus Spring: a real {@link PluginStore} that tells a
 * real {@link PendingWipes}, which wipes through a real {@link SliceWiper}, all on a manual
 * scheduler and clock.
 */
final class WipeHarness {

  static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

  final MutableClock clock = new MutableClock(START);
  final ManualScheduler scheduler = new ManualScheduler(clock);
  final EventBus events = new EventBus();
  final List<AgentEvent> seen = new CopyOnWriteArrayList<>();
  final NodeIdentity node;
  final SliceWiper wiper;
  final WipeHistory history = new WipeHistory();
  final PendingWipes wipes;
  final PluginStore store;

  /** Makes the wiper; tests may return a test double. */
  interface WiperFactory {
    SliceWiper create(KubernetesClient client, NodeIdentity node, AgentProperties properties);
  }

  /**
   * The threads the wipes' deletes run on in tests (the application has its context-owned {@code
   * wipeExecutor}): daemon threads, shared by every harness, ended when idle.
   */
  static final ExecutorService DELETES =
      Executors.newCachedThreadPool(
          task -> {
            Thread thread = new Thread(task, "test-wipe-delete");
            thread.setDaemon(true);
            return thread;
          });

  WipeHarness(KubernetesClient client, AgentProperties properties) {
    this(client, properties, (c, n, p) -> new SliceWiper(c, n, p, DELETES));
  }

  WipeHarness(KubernetesClient client, AgentProperties properties, WiperFactory wipers) {
    events.subscribe(seen::add);
    node = new NodeIdentity(client, clock, properties, scheduler);
    wiper = wipers.create(client, node, properties);
    wipes = new PendingWipes(scheduler, wiper, history, events, clock, properties);
    store = new PluginStore(events, clock, List.of(wipes));
    wipes.start();
  }

  static String endpoint(String driver, String instance) {
    return "/var/lib/kubelet/plugins/" + driver + "/" + instance + ".sock";
  }

  /** Registers an instance and marks it connected: the driver is usable. */
  void connected(String driver, String instance) {
    registered(driver, instance);
    store.setConnection(driver, endpoint(driver, instance), ConnectionState.CONNECTED);
  }

  /** Registers an instance, still connecting. */
  void registered(String driver, String instance) {
    PluginStore.Outcome outcome =
        store.register(
            driver,
            endpoint(driver, instance),
            Path.of("/var/lib/kubelet/plugins_registry/" + driver + "-" + instance + ".sock"),
            "v1.DRAPlugin",
            null);
    if (!(outcome instanceof PluginStore.Outcome.Registered)) {
      throw new IllegalStateException("not registered: " + outcome);
    }
  }

  void deregistered(String driver, String instance) {
    store.deregister(driver, endpoint(driver, instance), "test");
  }

  void connection(String driver, String instance, ConnectionState state) {
    store.setConnection(driver, endpoint(driver, instance), state);
  }
}
