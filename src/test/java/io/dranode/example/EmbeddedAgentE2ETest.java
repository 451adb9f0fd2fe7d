package io.dranode.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The README's walkthrough, claim by claim, on the embedded default: two drivers registered, their
 * slices listed, a removed driver's slices wiped after the delay, a restart inside the delay
 * cancelling the wipe, and other drivers' slices untouched throughout — on an in-memory API that
 * ignores {@code spec.*} field selectors.
 */
@Tag("e2e")
class EmbeddedAgentE2ETest {

  private static final Duration DELAY = Duration.ofSeconds(2);
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = JsonMapper.builder().build();
  private Path base;
  private EmbeddedAgent embedded;
  private String api;

  @BeforeEach
  void start() throws IOException {
    base = Files.createTempDirectory(Path.of("/tmp"), "e2e");
    embedded = new EmbeddedAgent(base);
    embedded.start(DELAY, "--server.port=0", "--spring.grpc.server.port=0");
    api = "http://localhost:" + embedded.agent().getEnvironment().getProperty("local.server.port");
  }

  @AfterEach
  void stop() throws IOException {
    embedded.close();
    try (var tree = Files.walk(base)) {
      tree.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void walkthrough() throws Exception {
    // Both drivers registered, connected, with their slices listed.
    await().atMost(WAIT).until(() -> usable("gpu.example.com") && usable("nic.example.com"));
    await()
        .atMost(WAIT)
        .until(() -> sliceCount("gpu.example.com") == 1 && sliceCount("nic.example.com") == 1);
    JsonNode gpu = get("/api/v1/plugins/gpu.example.com");
    assertThat(gpu.path("instances").get(0).path("service").asString()).isEqualTo("v1.DRAPlugin");
    assertThat(gpu.path("instances").get(0).path("healthService").asString())
        .isEqualTo("v1.DRAResourceHealth");

    // A driver taken away: its slices are gone after the delay, the other driver's are not.
    Files.delete(Objects.requireNonNull(embedded.driver("nic.example.com")).registrationSocket());
    await().atMost(WAIT).until(() -> pendingWipe("nic.example.com"));
    await().atMost(WAIT).until(() -> apiSlices("nic.example.com") == 0);
    assertThat(apiSlices("gpu.example.com")).isEqualTo(1);
    assertThat(recentResult("nic.example.com")).isEqualTo("deleted");

    // A driver stopped and restarted within the delay: the wipe is cancelled, the slice stays.
    embedded.stopDriver("gpu.example.com");
    await().atMost(WAIT).until(() -> pendingWipe("gpu.example.com"));
    embedded.startDriver("gpu.example.com");
    await().atMost(WAIT).until(() -> usable("gpu.example.com") && !pendingWipe("gpu.example.com"));
    assertThat(recentResult("gpu.example.com")).isEqualTo("cancelled");
    await()
        .during(DELAY.plusSeconds(1))
        .atMost(DELAY.plusSeconds(10))
        .until(() -> apiSlices("gpu.example.com") == 1);
  }

  private JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(api + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    return json.readTree(response.body());
  }

  private boolean usable(String driver) throws Exception {
    JsonNode node = get("/api/v1/plugins/" + driver);
    return node.path("usable").asBoolean(false);
  }

  private boolean pendingWipe(String driver) throws Exception {
    for (JsonNode pending : get("/api/v1/cleanups").path("pending")) {
      if (driver.equals(pending.path("driver").asString())) {
        return true;
      }
    }
    return false;
  }

  private String recentResult(String driver) throws Exception {
    for (JsonNode recent : get("/api/v1/cleanups").path("recent")) {
      if (driver.equals(recent.path("driver").asString())) {
        return recent.path("result").asString();
      }
    }
    return "none";
  }

  /** Slices of this node and driver as the agent lists them (from its informer). */
  private int sliceCount(String driver) throws Exception {
    for (JsonNode entry : get("/api/v1/resourceslices").path("drivers")) {
      if (driver.equals(entry.path("driver").asString())) {
        return entry.path("slices").size();
      }
    }
    return 0;
  }

  /** Slices of the driver as the API server holds them. */
  private int apiSlices(String driver) {
    return (int)
        embedded
            .client()
            .resources(io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice.class)
            .list()
            .getItems()
            .stream()
            .filter(s -> driver.equals(s.getSpec().getDriver()))
            .count();
  }
}
