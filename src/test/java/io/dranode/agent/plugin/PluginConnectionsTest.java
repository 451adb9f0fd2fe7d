package io.dranode.agent.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.config.TestChannels;
import io.dranode.agent.config.UnixChannels;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.testing.DraEndpoints;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/** The connection monitor against real endpoints on Unix sockets. */
class PluginConnectionsTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
  private Path dir;
  private DraEndpoints endpoints;
  private UnixChannels channels;
  private PluginStore store;
  private PluginConnections connections;

  @BeforeEach
  void setUp() throws Exception {
    dir = Files.createTempDirectory(Path.of("/tmp"), "pc");
    endpoints = new DraEndpoints();
    executor.setCorePoolSize(2);
    executor.setThreadNamePrefix("test-grpc-");
    executor.initialize();
    channels =
        TestChannels.create(
            new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory()), executor);
    store = new PluginStore(new EventBus(), Clock.systemUTC(), List.of());
    connections = new PluginConnections(store, channels);
  }

  @AfterEach
  void tearDown() throws Exception {
    connections.stop();
    channels.close();
    endpoints.close();
    executor.shutdown();
    try (Stream<Path> tree = Files.walk(dir)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private ConnectionState connection(String driver) {
    return store.driver(driver).orElseThrow().instances().get(0).connection();
  }

  private void register(String driver, String endpoint) {
    store.register(driver, endpoint, dir.resolve(driver + "-reg.sock"), "v1.DRAPlugin", null);
  }

  @Test
  void aRegisteredInstanceIsConnected() {
    connections.start();
    register("a.example.com", endpoints.serve(dir.resolve("a.sock")));

    await().atMost(WAIT).until(() -> connection("a.example.com") == ConnectionState.CONNECTED);
  }

  /** A context that is stopped and started again (a refresh) must still connect new instances. */
  @Test
  void afterAStopAndAStartNewInstancesAreStillConnected() {
    connections.start();
    connections.stop();
    connections.start();

    register("b.example.com", endpoints.serve(dir.resolve("b.sock")));

    await().atMost(WAIT).until(() -> connection("b.example.com") == ConnectionState.CONNECTED);
  }

  /** An instance recorded while the monitor was stopped gets its channel when it starts. */
  @Test
  void instancesRegisteredWhileStoppedAreConnectedAtStart() {
    register("c.example.com", endpoints.serve(dir.resolve("c.sock")));
    assertThat(connection("c.example.com")).isEqualTo(ConnectionState.CONNECTING);

    connections.start();

    await().atMost(WAIT).until(() -> connection("c.example.com") == ConnectionState.CONNECTED);
    assertThat(connections.channel("c.example.com", dir.resolve("c.sock").toString())).isPresent();
  }
}
