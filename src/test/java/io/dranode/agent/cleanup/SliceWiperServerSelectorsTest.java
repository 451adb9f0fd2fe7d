package io.dranode.agent.cleanup;

import static io.dranode.agent.cleanup.Slices.NODE;
import static io.dranode.agent.cleanup.Slices.OTHER_NODE;
import static io.dranode.agent.cleanup.Slices.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceListBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exact requests of the default, server-side selector mode, in the mock's expectation mode (its
 * CRUD mode ignores {@code spec.*} selectors, so only the recorded request can show them): one LIST
 * filtered by node and driver, then one DELETE per slice that really is ours, even when the server
 * ignored the selector and returned everything.
 */
@EnableKubernetesMockClient(
    https = false,
    kubernetesClientBuilderCustomizer = NoClientRetries.class)
class SliceWiperServerSelectorsTest {

  static final String A = "driver-a.example.com";
  static final String B = "driver-b.example.com";
  static final String SLICES = "/apis/resource.k8s.io/v1/resourceslices";
  static final String LIST_B =
      SLICES + "?fieldSelector=spec.nodeName%3Dworker%2Cspec.driver%3Ddriver-b.example.com";

  // Both set by the mock-server extension before any test runs.
  @SuppressWarnings("NullAway.Init")
  static KubernetesClient client;

  @SuppressWarnings("NullAway.Init")
  static KubernetesMockServer server;

  WipeHarness h;

  @BeforeEach
  void fresh() throws InterruptedException {
    server.reset();
    drain();
    h = new WipeHarness(client, Slices.properties(FieldSelectors.SERVER));
    server
        .expect()
        .get()
        .withPath("/api/v1/nodes/" + NODE)
        .andReturn(200, Slices.node(NODE))
        .always();
  }

  @Test
  void listsWithNodeAndDriverSelectorsThenDeletesEachSliceByName() throws InterruptedException {
    server
        .expect()
        .get()
        .withPath(LIST_B)
        .andReturn(
            200,
            new ResourceSliceListBuilder()
                .withItems(listed("b-1", NODE, B), listed("b-2", NODE, B))
                .build())
        .once();
    server.expect().delete().withPath(SLICES + "/b-1").andReturn(200, ok()).once();
    server.expect().delete().withPath(SLICES + "/b-2").andReturn(200, ok()).once();
    h.connected(B, "b1");

    h.deregistered(B, "b1");
    h.scheduler.advance(Duration.ofSeconds(30));

    List<String> requests = drain().stream().map(r -> r.getMethod() + " " + r.getPath()).toList();
    assertThat(requests).hasSize(4).startsWith("GET /api/v1/nodes/" + NODE, "GET " + LIST_B);
    // The two deletes go out side by side (parallel-deletes), so in either order.
    assertThat(requests.subList(2, 4))
        .containsExactlyInAnyOrder("DELETE " + SLICES + "/b-1", "DELETE " + SLICES + "/b-2");
    assertThat(h.history.recent()).first().extracting(WipeRecord::deleted).isEqualTo(2);
  }

  /**
   * Invariant 2: a server that ignores the selectors still cannot make us delete others' slices.
   */
  @Test
  void aServerIgnoringTheSelectorsCannotMakeUsDeleteOtherNodesOrDriversSlices()
      throws InterruptedException {
    server
        .expect()
        .get()
        .withPath(LIST_B)
        .andReturn(
            200,
            new ResourceSliceListBuilder()
                .withItems(
                    listed("b-here", NODE, B),
                    listed("b-there", OTHER_NODE, B),
                    listed("a-here", NODE, A))
                .build())
        .once();
    server.expect().delete().withPath(SLICES + "/b-here").andReturn(200, ok()).once();
    h.connected(B, "b1");

    h.deregistered(B, "b1");
    h.scheduler.advance(Duration.ofSeconds(30));

    assertThat(drain())
        .extracting(r -> r.getMethod() + " " + r.getPath())
        .containsExactly(
            "GET /api/v1/nodes/" + NODE, "GET " + LIST_B, "DELETE " + SLICES + "/b-here");
    assertThat(h.history.recent())
        .first()
        .satisfies(
            r -> {
              assertThat(r.result()).isEqualTo(WipeRecord.Result.DELETED);
              assertThat(r.deleted()).isEqualTo(1);
            });
  }

  /** A slice as a server returns it: with a resourceVersion, which our deletes are made on. */
  private static ResourceSlice listed(String name, String nodeName, String driver) {
    ResourceSlice slice = slice(name, nodeName, driver);
    slice.getMetadata().setResourceVersion("42");
    return slice;
  }

  private static io.fabric8.kubernetes.api.model.Status ok() {
    return new StatusBuilder().withStatus("Success").build();
  }

  private static List<RecordedRequest> drain() throws InterruptedException {
    List<RecordedRequest> requests = new ArrayList<>();
    RecordedRequest next;
    while ((next = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      requests.add(next);
    }
    return requests;
  }
}
