package io.dranode.agent.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.testing.AgentRig;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The connection monitor against real endpoints on Unix sockets. */
class PluginConnectionsTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private AgentRig rig;
  private PluginConnections connections;

  @BeforeEach
  void setUp() throws Exception {
    rig = new AgentRig();
    connections = rig.stopsWith(new PluginConnections(rig.store, rig.channels));
  }

  @AfterEach
  void tearDown() throws Exception {
    rig.close();
  }

  private ConnectionState connection(String driver) {
    return rig.store.driver(driver).orElseThrow().instances().get(0).connection();
  }

  private void register(String driver, String endpoint) {
    rig.store.register(
        driver, endpoint, rig.root.resolve(driver + "-reg.sock"), "v1.DRAPlugin", null);
  }

  /** A DRA endpoint that serves nothing: its channel only has to connect. */
  private String endpoint(String name) throws IOException {
    return rig.plugin(rig.root.resolve(name)).start().socket().toString();
  }

  @Test
  void aRegisteredInstanceIsConnected() throws IOException {
    connections.start();
    register("a.example.com", endpoint("a.sock"));

    await().atMost(WAIT).until(() -> connection("a.example.com") == ConnectionState.CONNECTED);
  }

  /** A context that is stopped and started again (a refresh) must still connect new instances. */
  @Test
  void afterAStopAndAStartNewInstancesAreStillConnected() throws IOException {
    connections.start();
    connections.stop();
    connections.start();

    register("b.example.com", endpoint("b.sock"));

    await().atMost(WAIT).until(() -> connection("b.example.com") == ConnectionState.CONNECTED);
  }

  /** An instance recorded while the monitor was stopped gets its channel when it starts. */
  @Test
  void instancesRegisteredWhileStoppedAreConnectedAtStart() throws IOException {
    register("c.example.com", endpoint("c.sock"));
    assertThat(connection("c.example.com")).isEqualTo(ConnectionState.CONNECTING);

    connections.start();

    await().atMost(WAIT).until(() -> connection("c.example.com") == ConnectionState.CONNECTED);
    assertThat(connections.channel("c.example.com", rig.root.resolve("c.sock").toString()))
        .isPresent();
  }
}
