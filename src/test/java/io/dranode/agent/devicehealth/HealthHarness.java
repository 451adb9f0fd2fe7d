package io.dranode.agent.devicehealth;

import io.dranode.agent.plugin.PluginConnections;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.testing.AgentRig;
import io.dranode.agent.testing.FakePlugin;
import io.dranode.agent.testing.MutableClock;
import io.dranode.agent.testing.TestProperties;
import java.io.IOException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One {@link DeviceHealthMonitor} on the {@link AgentRig} (a real store, real Unix-socket channels,
 * a real scheduler), with its connection monitor, against fake plugins that serve device health.
 */
final class HealthHarness implements AutoCloseable {

  static final Duration RETRY = Duration.ofMillis(100);

  final AgentRig rig;
  final MutableClock clock;
  final PluginStore store;
  final DeviceHealthMonitor monitor;

  HealthHarness() throws IOException {
    rig = new AgentRig();
    clock = rig.clock;
    store = rig.store;
    PluginConnections connections = rig.start(new PluginConnections(store, rig.channels));
    monitor =
        rig.start(
            new DeviceHealthMonitor(
                store,
                connections,
                rig.scheduler,
                rig.executor("grpc-streams-", 2),
                clock,
                TestProperties.of(
                    "dra.agent.device-health.retry-interval=" + RETRY.toMillis() + "ms")));
  }

  /** A fake plugin serving health on {@code <root>/<name>.sock}. */
  FakePlugin plugin(String name, boolean v1, boolean v1alpha1) throws IOException {
    return rig.plugin(rig.root.resolve(name + ".sock")).health(v1, v1alpha1).start();
  }

  void register(String driver, FakePlugin plugin, @Nullable String healthService) {
    store.register(
        driver,
        plugin.socket().toString(),
        rig.root.resolve("reg-" + plugin.socket().getFileName()),
        "v1.DRAPlugin",
        healthService);
  }

  void deregister(String driver, FakePlugin plugin) {
    store.deregister(driver, plugin.socket().toString(), "test");
  }

  void stopMonitor() {
    monitor.stop();
  }

  @Override
  public void close() throws Exception {
    rig.close();
  }
}
