package io.dranode.agent.devicehealth;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.TestChannels;
import io.dranode.agent.config.TestSchedulers;
import io.dranode.agent.config.UnixChannels;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.PluginConnections;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.testing.MutableClock;
import io.dranode.agent.testing.TestProperties;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

/**
 * A real store, real Unix-socket channels and a real scheduler around one {@link
 * DeviceHealthMonitor}, with fake plugins in a short folder under /tmp (socket paths < 108 bytes).
 */
final class HealthHarness implements AutoCloseable {

  static final Duration RETRY = Duration.ofMillis(100);

  final MutableClock clock = new MutableClock(Instant.parse("2026-06-01T12:00:00Z"));
  final EventBus bus = new EventBus();
  final PluginStore store = new PluginStore(bus, clock, List.of());
  final Path dir;
  final DeviceHealthMonitor monitor;

  private final EventLoopGroup serverGroup =
      new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private final EventLoopGroup clientGroup =
      new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private final ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
  private final ThreadPoolTaskScheduler scheduler = new ThreadPoolTaskScheduler();
  private final UnixChannels channels;
  private final PluginConnections connections;
  private final List<FakeHealthPlugin> plugins = new ArrayList<>();

  HealthHarness() throws IOException {
    dir = Files.createTempDirectory(Path.of("/tmp"), "dh");
    executor.setCorePoolSize(2);
    executor.setThreadNamePrefix("test-grpc-");
    executor.initialize();
    scheduler.setPoolSize(1);
    scheduler.setThreadNamePrefix("test-scheduler-");
    scheduler.initialize();
    channels = TestChannels.create(clientGroup, executor);
    connections = new PluginConnections(store, channels);
    connections.start();
    AgentProperties properties =
        TestProperties.of("dra.agent.device-health.retry-interval=" + RETRY.toMillis() + "ms");
    monitor =
        new DeviceHealthMonitor(
            store, connections, TestSchedulers.on(scheduler, clock), executor, clock, properties);
    monitor.start();
  }

  /** A fake plugin on {@code <dir>/<name>.sock}. */
  FakeHealthPlugin plugin(String name, boolean v1, boolean v1alpha1) throws IOException {
    FakeHealthPlugin plugin =
        FakeHealthPlugin.start(dir.resolve(name + ".sock"), serverGroup, v1, v1alpha1);
    plugins.add(plugin);
    return plugin;
  }

  void register(String driver, FakeHealthPlugin plugin, @Nullable String healthService) {
    store.register(
        driver,
        plugin.socket.toString(),
        dir.resolve("reg-" + plugin.socket.getFileName()),
        "v1.DRAPlugin",
        healthService);
  }

  void deregister(String driver, FakeHealthPlugin plugin) {
    store.deregister(driver, plugin.socket.toString(), "test");
  }

  void stopMonitor() {
    monitor.stop();
  }

  @Override
  public void close() throws Exception {
    monitor.stop();
    connections.stop();
    channels.close();
    for (FakeHealthPlugin plugin : plugins) {
      plugin.close();
    }
    serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    scheduler.shutdown();
    executor.shutdown();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
