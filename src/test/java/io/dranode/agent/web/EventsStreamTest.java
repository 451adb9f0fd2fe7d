package io.dranode.agent.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.event.EventStreams;
import io.dranode.example.ExampleDriver;
import io.dranode.example.ExampleDriverConfig;
import io.dranode.example.ShortTempDir;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /api/v1/events} on the running agent, read by a real HTTP client: the headers come at
 * once, before any event, and a real example driver's register/deregister cycle over its Unix
 * sockets arrives as {@code text/event-stream} events with JSON data.
 */
@EnabledOnOs(OS.LINUX)
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "dra.agent.node-name=worker",
      "spring.grpc.server.port=0",
      // No wipe runs within the test; the API server is unreachable anyway.
      "dra.agent.wipe.delay=1h"
    })
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class EventsStreamTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String DRIVER = "cycle.example.com";
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Properties SAVED = new Properties();

  @TempDir(factory = ShortTempDir.class)
  static Path root;

  static {
    // No API server: the Kubernetes client is built from these when the context starts.
    SAVED.putAll(System.getProperties());
    System.setProperty("kubernetes.master", "https://127.0.0.1:1");
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
  }

  @DynamicPropertySource
  static void kubeletRoot(DynamicPropertyRegistry registry) {
    registry.add("dra.agent.kubelet-root-dir", () -> root.toString());
  }

  @AfterAll
  static void restoreSystemProperties() {
    System.setProperties(SAVED);
  }

  @LocalServerPort int port;
  @Autowired EventStreams streams;

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  @Test
  void aClientOfAQuietAgentGetsTheResponseHeadersAtOnce() throws Exception {
    try (SseClient stream = SseClient.open(http, uri("/api/v1/events"))) {
      // Nothing is published meanwhile: the headers must not wait for a first event.
      HttpResponse.ResponseInfo info = stream.headers.get(10, TimeUnit.SECONDS);

      assertThat(info.statusCode()).isEqualTo(200);
      assertThat(info.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
      assertThat(stream.next(Duration.ofMillis(200))).as("no event was published").isNull();
    }
  }

  @Test
  void aRegisterDeregisterCycleOfARealDriverArrivesAsEvents() throws Exception {
    Instant started = Instant.now();
    try (SseClient stream = SseClient.open(http, uri("/api/v1/events"))) {
      await().atMost(WAIT).until(() -> streams.count() >= 1);

      ExampleDriver driver =
          new ExampleDriver(ExampleDriverConfig.of(DRIVER, root, 2, "worker")).start();
      String endpoint = driver.draSocket().toString();
      List<JsonNode> events = new ArrayList<>();
      try {
        events.addAll(eventsOf(stream, Set.of("connected")));
        assertThat(driver.awaitRegistered(WAIT)).as("told it is registered").isTrue();
      } finally {
        driver.close(); // the registration socket goes first, then the DRA socket
      }
      assertThat(Files.exists(driver.registrationSocket())).isFalse();
      events.addAll(eventsOf(stream, Set.of("deregistered", "wipe-scheduled")));
      Instant finished = Instant.now();

      List<String> types = events.stream().map(e -> e.get("type").asString()).toList();
      assertThat(types.subList(0, 2)).containsExactly("registered", "connected");
      // Whether the connection drops before the registration socket is seen gone is a race: a
      // "disconnected" (and then the wipe scheduled before "deregistered") may or may not come.
      assertThat(types.subList(2, types.size()))
          .contains("deregistered", "wipe-scheduled")
          .isSubsetOf("disconnected", "deregistered", "wipe-scheduled")
          .doesNotHaveDuplicates();

      for (JsonNode event : events) {
        assertThat(event.propertyNames())
            .containsExactly("type", "time", "driver", "endpoint", "detail");
        assertThat(event.get("driver").asString()).isEqualTo(DRIVER);
        assertThat(Instant.parse(event.get("time").asString())).isBetween(started, finished);
        assertThat(event.get("detail").asString()).isNotBlank();
        if (event.get("type").asString().startsWith("wipe")) {
          assertThat(event.get("endpoint").isNull()).as("a wipe concerns the driver").isTrue();
        } else {
          assertThat(event.get("endpoint").asString()).isEqualTo(endpoint);
        }
      }
      assertThat(byType(events, "registered").get("detail").asString())
          .isEqualTo("service v1.DRAPlugin");
      assertThat(byType(events, "connected").get("detail").asString())
          .isEqualTo("DRA endpoint reachable");
      assertThat(byType(events, "deregistered").get("detail").asString())
          .isEqualTo("registration socket removed");
      assertThat(byType(events, "wipe-scheduled").get("detail").asString()).startsWith("due at ");
    }
  }

  @Test
  void theOpenApiDocumentListsEveryEndpoint() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(uri("/v3/api-docs")).timeout(WAIT).build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode paths = JSON.readTree(response.body()).get("paths");
    assertThat(paths.propertyNames())
        .contains(
            "/api/v1/plugins",
            "/api/v1/plugins/{driver}",
            "/api/v1/cleanups",
            "/api/v1/resourceslices",
            "/api/v1/devices/health",
            "/api/v1/events");
  }

  /** Events of our driver until every wanted type was seen; each one's name is its type. */
  private static List<JsonNode> eventsOf(SseClient stream, Set<String> wanted) throws Exception {
    List<JsonNode> events = new ArrayList<>();
    Set<String> missing = new HashSet<>(wanted);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!missing.isEmpty()) {
      Duration left = Duration.ofNanos(deadline - System.nanoTime());
      SseClient.Event event =
          Objects.requireNonNull(
              stream.next(left.isNegative() ? Duration.ZERO : left),
              () -> "events " + missing + " still missing after " + events);
      JsonNode data = JSON.readTree(event.data());
      assertThat(data.get("type").asString()).isEqualTo(event.name());
      if (data.get("driver").asString().equals(DRIVER)) {
        events.add(data);
        missing.remove(event.name());
      }
    }
    return events;
  }

  private static JsonNode byType(List<JsonNode> events, String type) {
    return events.stream()
        .filter(e -> e.get("type").asString().equals(type))
        .findFirst()
        .orElseThrow();
  }
}
