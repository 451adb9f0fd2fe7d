package io.dranode.agent.cleanup;

import static io.dranode.agent.cleanup.Slices.NODE;
import static io.dranode.agent.cleanup.Slices.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.dranode.agent.plugin.PluginStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Invariant 7 with the API server gone entirely (connection refused), then back on the same
 * address: the wipe is retried with backoff while it is down, registrations go on meanwhile, and
 * the wipe completes once it is back.
 */
class ApiServerDownTest {

  static final String A = "driver-a.example.com";

  @Nullable KubernetesMockServer server;
  @Nullable KubernetesClient client;

  @AfterEach
  void close() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.destroy();
    }
  }

  @Test
  void connectionRefusedDelaysTheWipeButNeverDropsItNorBlocksRegistrations() throws IOException {
    int port = freePort();
    KubernetesMockServer first = start(port);
    KubernetesClient api = first.createClient(new NoClientRetries());
    client = api;
    api.nodes().resource(Slices.node(NODE)).create();
    WipeHarness h = new WipeHarness(api, Slices.properties(FieldSelectors.CLIENT));
    h.connected(A, "a1");
    h.deregistered(A, "a1");

    first.destroy(); // the API server goes away
    h.scheduler.advance(Duration.ofSeconds(30));
    h.scheduler.advanceToNext();

    assertThat(h.wipes.pendingFor(A))
        .hasValueSatisfying(
            p -> {
              assertThat(p.attempts()).isEqualTo(2);
              assertThat(p.lastError()).isNotBlank();
            });
    assertThat(h.scheduler.queued()).hasSize(1);
    PluginStore.Outcome other =
        h.store.register(
            "other.example.com",
            WipeHarness.endpoint("other.example.com", "o1"),
            java.nio.file.Path.of("/var/lib/kubelet/plugins_registry/o1.sock"),
            "v1.DRAPlugin",
            null);
    assertThat(other).isInstanceOf(PluginStore.Outcome.Registered.class);

    KubernetesMockServer second = start(port); // back, on the same address, with its data
    server = second;
    api.nodes().resource(Slices.node(NODE)).create();
    Slices.create(api, slice("a-1", NODE, A));
    h.scheduler.advanceToNext();

    assertThat(Slices.names(api)).isEmpty();
    assertThat(h.wipes.pending()).isEmpty();
    assertThat(h.history.recent())
        .first()
        .satisfies(
            r -> {
              assertThat(r.result()).isEqualTo(WipeRecord.Result.DELETED);
              assertThat(r.detail()).contains("after 3 attempt(s)");
            });
  }

  private static KubernetesMockServer start(int port) {
    HashMap<
            io.fabric8.mockwebserver.ServerRequest,
            java.util.Queue<io.fabric8.mockwebserver.ServerResponse>>
        responses = new HashMap<>();
    KubernetesMockServer started =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            false);
    started.init(InetAddress.getLoopbackAddress(), port);
    return started;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
