package io.dranode.agent.cleanup;

import static io.dranode.agent.cleanup.Slices.NODE;
import static io.dranode.agent.cleanup.Slices.OTHER_NODE;
import static io.dranode.agent.cleanup.Slices.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.cleanup.FaultyApiServer.Fault;
import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The slice informer survives an API server that is not there yet. */
class SliceInventoryTest {

  /**
   * fabric8 stops an informer whose first list fails, unless told to retry: the agent started
   * before its API server (a node reboot) would never know its slices nor sweep them.
   */
  @Test
  void anInformerStartedWhileTheApiServerIsDownSyncsOnceItIsUp() {
    try (FaultyApiServer api =
            new FaultyApiServer(Duration.ofSeconds(1), Duration.ofMillis(50), 1L, name -> {});
        KubernetesClient admin = api.adminClient();
        KubernetesClient informerClient = api.agentClient(Duration.ofMillis(250), true)) {
      Slices.create(
          admin,
          slice("a-here", NODE, "a.example.com"),
          slice("a-there", OTHER_NODE, "a.example.com"));
      api.inject(Fault.REFUSED);
      SliceInventory inventory =
          new SliceInventory(informerClient, Slices.properties(FieldSelectors.CLIENT));
      inventory.start();
      try {
        await().atMost(Duration.ofSeconds(5)).until(() -> api.fault() == Fault.REFUSED);
        assertThat(inventory.synced()).isFalse();

        api.inject(Fault.NONE);

        await().atMost(Duration.ofSeconds(20)).until(inventory::synced);
        assertThat(inventory.drivers()).containsExactly("a.example.com");
        assertThat(inventory.byDriver().get("a.example.com"))
            .extracting(s -> s.getMetadata().getName())
            .containsExactly("a-here");
      } finally {
        inventory.stop();
      }
    }
  }
}
