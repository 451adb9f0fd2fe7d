package io.dranode.agent.cleanup;

import static io.dranode.agent.cleanup.Slices.NODE;
import static io.dranode.agent.cleanup.Slices.OTHER_NODE;
import static io.dranode.agent.cleanup.Slices.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.cleanup.FaultyApiServer.Fault;
import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * The slice informer survives an API server that is not there yet, and start-up stops at once,
 * saying why, at one that does not serve the ResourceSlice API the agent needs.
 */
@EnableKubernetesMockClient
class SliceInventoryTest {

  @SuppressWarnings("NullAway.Init")
  KubernetesMockServer server;

  @SuppressWarnings("NullAway.Init")
  KubernetesClient client;

  @Test
  void anApiServerWithoutResourceSlicesOfV1StopsStartUpSayingWhy() {
    server
        .expect()
        .get()
        .withPath("/apis/resource.k8s.io/v1/resourceslices?fieldSelector=spec.nodeName%3D" + NODE)
        .andReturn(
            404,
            new StatusBuilder()
                .withCode(404)
                .withMessage("the server could not find the requested resource")
                .build())
        .always();
    SliceInventory inventory = new SliceInventory(client, Slices.properties(FieldSelectors.SERVER));

    assertThatThrownBy(inventory::start)
        .isInstanceOf(ApiNotServedException.class)
        .hasMessageContaining("resource.k8s.io/v1")
        .hasMessageContaining("HTTP 404")
        .hasMessageContaining("Kubernetes 1.34 or newer");
    assertThat(inventory.isRunning()).isFalse();
    FailureAnalysis analysis =
        Objects.requireNonNull(
            new ApiNotServedFailureAnalyzer().analyze(new ApiNotServedException("x")));
    assertThat(analysis.getAction()).contains("1.34");
  }

  /** Unreachable is not refusal: start-up goes on at once and the informer keeps trying. */
  @Test
  void anUnreachableApiServerDoesNotHoldUpStartUp() {
    try (FaultyApiServer api =
            new FaultyApiServer(Duration.ofSeconds(1), Duration.ofMillis(50), 1L, name -> {});
        KubernetesClient informerClient = api.agentClient(Duration.ofMillis(250), true)) {
      api.inject(Fault.REFUSED);
      SliceInventory inventory =
          new SliceInventory(informerClient, Slices.properties(FieldSelectors.CLIENT));
      long started = System.nanoTime();
      inventory.start();
      try {
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .isLessThan(SliceInventory.FIRST_ANSWER);
        assertThat(inventory.isRunning()).isTrue();
      } finally {
        inventory.stop();
      }
    }
  }

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
        assertThat(inventory.byDriver()).containsOnlyKeys("a.example.com");
        assertThat(inventory.byDriver().get("a.example.com"))
            .extracting(s -> s.getMetadata().getName())
            .containsExactly("a-here");
      } finally {
        inventory.stop();
      }
    }
  }
}
