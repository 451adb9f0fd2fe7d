package io.dranode.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Events on the Node from a real run of the embedded default: example drivers over real Unix
 * sockets, the agent, the in-memory API. Each step of a driver's life leaves the Event that says
 * so, about the Node, where {@code kubectl describe node} finds it.
 */
@Tag("e2e")
class EmbeddedAgentEventsE2ETest {

  private static final Duration DELAY = Duration.ofSeconds(2);
  private static final Duration WAIT = Duration.ofSeconds(30);

  private Path base;
  private EmbeddedAgent embedded;
  private final List<ExampleDriver> extra = new java.util.ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    base = Files.createTempDirectory(Path.of("/tmp"), "ev");
    embedded = new EmbeddedAgent(base);
    embedded.start(
        DELAY,
        "--server.port=0",
        "--spring.grpc.server.port=0",
        "--dra.agent.diagnostics.slices-grace=2s",
        "--dra.agent.wipe.sweep-interval=1s",
        "--dra.agent.events.coalesce=1s");
  }

  @AfterEach
  void stop() throws IOException {
    extra.forEach(ExampleDriver::close);
    embedded.close();
    try (var tree = Files.walk(base)) {
      tree.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    }
  }

  private List<Event> events() {
    return embedded.client().v1().events().inNamespace("default").list().getItems();
  }

  private Map<String, Long> reasons() {
    return events().stream()
        .collect(Collectors.groupingBy(Event::getReason, TreeMap::new, Collectors.counting()));
  }

  private void awaitReason(String reason) {
    await().atMost(WAIT).until(() -> reasons().containsKey(reason));
  }

  @Test
  void aDriversLifeShowsOnTheNode() throws Exception {
    awaitReason("DRADriverRegistered");
    await().atMost(WAIT).until(() -> reasons().getOrDefault("DRADriverRegistered", 0L) >= 2);

    // A device turns unhealthy.
    Objects.requireNonNull(embedded.driver("gpu.example.com"))
        .setHealthy("dev-1", false, "switched off by hand");
    awaitReason("DRADevicesUnhealthy");

    // A plugin with an invalid name is refused.
    Path root = embedded.kubeletRoot();
    extra.add(
        new ExampleDriver(ExampleDriverConfig.of("Bad_Name", root, 1, EmbeddedAgent.NODE)).start());
    awaitReason("DRAPluginRejected");

    // A driver that publishes no slice (no API client) is flagged once the grace has passed.
    extra.add(
        new ExampleDriver(
                ExampleDriverConfig.of("noslices.example.com", root, 1, EmbeddedAgent.NODE))
            .start());
    awaitReason("DRADriverPublishesNoSlices");

    // A driver taken away: unusable, then its slices wiped.
    Files.delete(Objects.requireNonNull(embedded.driver("nic.example.com")).registrationSocket());
    awaitReason("DRADriverUnusable");
    awaitReason("DRASlicesWiped");

    // A driver restarted within the grace period: its wipe is cancelled.
    embedded.stopDriver("gpu.example.com");
    embedded.startDriver("gpu.example.com");
    awaitReason("DRADriverRecovered");

    // Slices of a driver never registered here are swept.
    embedded
        .client()
        .resources(ResourceSlice.class)
        .resource(
            new ResourceSliceBuilder()
                .withNewMetadata()
                .withName("ghost-slice")
                .endMetadata()
                .withNewSpec()
                .withDriver("ghost.example.com")
                .withNodeName(EmbeddedAgent.NODE)
                .withNewPool()
                .withName(EmbeddedAgent.NODE)
                .withGeneration(1L)
                .withResourceSliceCount(1L)
                .endPool()
                .endSpec()
                .build())
        .create();
    awaitReason("DRAOrphanSlicesDeleted");

    List<Event> all = events();
    assertThat(all)
        .allSatisfy(
            e -> {
              assertThat(e.getInvolvedObject().getKind()).isEqualTo("Node");
              assertThat(e.getInvolvedObject().getName()).isEqualTo(EmbeddedAgent.NODE);
              assertThat(e.getSource().getComponent()).isEqualTo("dra-node-agent");
              assertThat(e.getMessage()).isNotBlank();
            });
    System.out.println("EVENT-REASONS seen in one run: " + reasons());
    for (Event e : all) {
      System.out.printf(
          "EVENT %-8s %-27s x%d %s%n", e.getType(), e.getReason(), e.getCount(), e.getMessage());
    }
  }
}
