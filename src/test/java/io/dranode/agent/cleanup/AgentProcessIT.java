package io.dranode.agent.cleanup;

import static io.dranode.agent.cleanup.Slices.NODE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dranode.agent.cleanup.FaultyApiServer.Fault;
import io.dranode.example.ExampleDriver;
import io.dranode.example.ExampleDriverConfig;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The packaged agent as a real process ({@code java -jar target/dra-node-agent-*.jar}), configured
 * as in a pod, against fabric8's CRUD mock behind {@link FaultyApiServer} and example drivers on
 * real sockets: SIGTERM during a pending wipe, {@code kill -9} during a grace period and a restart,
 * and a start with the API server down that comes up later. Runs in failsafe's integration-test
 * phase, after {@code package}; skipped with a message when the jar is missing.
 */
@Tag("faults")
class AgentProcessIT {

  static final Duration START = Duration.ofSeconds(90);
  static final Duration WAIT = Duration.ofSeconds(30);
  static final JsonMapper JSON = JsonMapper.builder().build();

  Path jar;
  Path root;
  FaultyApiServer api;
  KubernetesClient admin;
  final HttpClient http = HttpClient.newHttpClient();
  final List<Process> processes = new ArrayList<>();
  final List<ExampleDriver> drivers = new ArrayList<>();

  /** A running agent process and where to reach it. */
  record Agent(Process process, int api, Path log) {}

  @BeforeEach
  void prepare() throws IOException {
    jar = Path.of(System.getProperty("agent.jar", "target/dra-node-agent-0.1.0-SNAPSHOT.jar"));
    assumeTrue(
        Files.isRegularFile(jar),
        "the agent jar "
            + jar.toAbsolutePath()
            + " is missing: these tests run in failsafe's integration-test phase, after"
            + " `./mvnw package` has built it (./mvnw verify -Pfull)");
    root = Files.createTempDirectory(Path.of("/tmp"), "ap");
    api = new FaultyApiServer(Duration.ofSeconds(1), Duration.ofMillis(50), 1L, name -> {}, null);
    admin = api.adminClient();
    admin.nodes().resource(Slices.node(NODE)).create();
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (Process process : processes) {
      if (process.isAlive()) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    drivers.forEach(ExampleDriver::close);
    if (admin != null) {
      admin.close();
    }
    if (api != null) {
      api.close();
    }
    if (root != null) {
      try (Stream<Path> tree = Files.walk(root)) {
        for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /**
   * SIGTERM while a wipe is pending: the agent exits cleanly within the shutdown bound, the pending
   * wipe is cancelled (the slice stays), and no request reaches the API server once the process is
   * gone (invariant 5, for a real process).
   */
  @Test
  void sigtermDuringAPendingWipeExitsCleanlyAndQuietly() throws Exception {
    Agent agent = startAgent("sigterm", "--dra.agent.wipe.delay=60s");
    ExampleDriver driver = driver("term.example.com", true);
    awaitUsable(agent, "term.example.com");
    String slice = driver.sliceName().orElseThrow();
    driver.close();
    await().atMost(WAIT).until(() -> pendingWipe(agent, "term.example.com") != null);
    int before = api.log().size();

    long signalled = System.nanoTime();
    agent.process().destroy(); // SIGTERM
    boolean exited = agent.process().waitFor(40, TimeUnit.SECONDS);
    Duration took = Duration.ofNanos(System.nanoTime() - signalled);

    assertThat(exited).as("exited within 40 s").isTrue();
    int exitCode = agent.process().exitValue();
    List<String> atExit = api.log();
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(() -> api.log().size() == atExit.size());
    // The JVM ends with 128 + SIGTERM after running the shutdown hook that closes the context.
    assertThat(exitCode).isEqualTo(143);
    // Under the chart's terminationGracePeriodSeconds (30 s) and Spring's 20 s per phase.
    assertThat(took).isLessThan(Duration.ofSeconds(20));
    assertThat(atExit.subList(before, atExit.size())).noneMatch(r -> r.startsWith("DELETE"));
    assertThat(admin.resources(ResourceSlice.class).withName(slice).get()).isNotNull();
    assertThat(Files.readString(agent.log())).doesNotContain(" ERROR ");
    System.out.printf(
        "SIGTERM: exit code %d after %d ms; %d API requests during shutdown, none after%n",
        exitCode, took.toMillis(), atExit.size() - before);
  }

  /**
   * {@code kill -9} during a grace period, then the driver and the agent come back: the agent
   * registers the returning driver before its start-up sweep, so that driver's slice is never
   * deleted; the slice of the driver that stayed away is.
   */
  @Test
  void killDashNineDuringTheGracePeriodThenRestart() throws Exception {
    Agent first = startAgent("kill9-first", "--dra.agent.wipe.delay=5s");
    ExampleDriver back = driver("back.example.com", true);
    ExampleDriver gone = driver("gone.example.com", true);
    awaitUsable(first, "back.example.com");
    awaitUsable(first, "gone.example.com");
    String backSlice = back.sliceName().orElseThrow();
    String goneSlice = gone.sliceName().orElseThrow();
    back.close();
    gone.close();
    await().atMost(WAIT).until(() -> pendingWipe(first, "back.example.com") != null);
    await().atMost(WAIT).until(() -> pendingWipe(first, "gone.example.com") != null);

    first.process().destroyForcibly(); // SIGKILL, inside the 5 s grace period
    assertThat(first.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(first.process().exitValue()).isEqualTo(137);
    ExampleDriver returned = driver("back.example.com", true); // adopts its slice
    assertThat(returned.sliceName()).contains(backSlice);
    Agent second = startAgent("kill9-second", "--dra.agent.wipe.delay=5s");
    awaitUsable(second, "back.example.com");

    // The start-up sweep runs one grace period after start: the absent driver's slice goes.
    await().atMost(WAIT).until(() -> !exists(goneSlice));
    assertThat(exists(backSlice)).isTrue();
    assertThat(api.log()).noneMatch(r -> r.startsWith("DELETE") && r.contains(backSlice));
    assertThat(api.log()).anyMatch(r -> r.startsWith("DELETE") && r.contains(goneSlice));
  }

  /**
   * Started with the API server's port closed: registration works, the kubernetesApi health
   * component is DOWN and a wipe waits. When the API server comes up on that port, the agent
   * recovers by itself: kubernetesApi UP, the slice informer synced, the pending wipe done.
   */
  @Test
  void startedWithTheApiServerDownThenUp() throws Exception {
    Slices.create(admin, Slices.slice("away-slice", NODE, "away.example.com"));
    api.inject(Fault.REFUSED);
    Agent agent =
        startAgent("api-down", "--dra.agent.wipe.delay=2s", "--dra.agent.wipe.retry-max=2s");
    assertThat(component(agent, "kubernetesApi")).isEqualTo("DOWN");
    // Without a client: the slice exists already, and publishing would wait for the API.
    ExampleDriver away = driver("away.example.com", false);
    awaitUsable(agent, "away.example.com");
    away.close();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              JsonNode pending =
                  Objects.requireNonNull(pendingWipe(agent, "away.example.com"), "pending wipe");
              assertThat(pending.path("attempts").asInt()).isPositive();
              assertThat(pending.path("lastError").asString()).contains("cannot connect");
            });
    JsonNode slices = JSON.readTree(get(agent.api(), "/api/v1/resourceslices"));
    assertThat(slices.path("synced").asBoolean()).isFalse();

    api.inject(Fault.NONE); // back on the same port, with its state

    await().atMost(Duration.ofSeconds(60)).until(() -> !exists("away-slice"));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> "UP".equals(component(agent, "kubernetesApi")));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                JSON.readTree(get(agent.api(), "/api/v1/resourceslices"))
                    .path("synced")
                    .asBoolean());
    // The slice is gone at the server a moment before the wipe records its result: wait for it.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        JSON.readTree(get(agent.api(), "/api/v1/cleanups"))
                            .path("recent")
                            .toString())
                    .contains("away.example.com")
                    .contains("\"deleted\""));
  }

  private Agent startAgent(String name, String... args) throws IOException {
    int apiPort = freePort();
    int grpcPort = freePort();
    Path log = Path.of("target", "agent-process-" + name + ".log");
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dkubernetes.master=" + api.url(),
                "-Dkubernetes.auth.tryKubeConfig=false",
                "-Dkubernetes.auth.tryServiceAccount=false",
                "-Dkubernetes.namespace=default",
                // plain HTTP to the mock: no h2c upgrade (seconds per call with the JDK client)
                "-Dhttp2.disable=true",
                "-jar",
                jar.toString(),
                "--dra.agent.node-name=" + NODE,
                "--dra.agent.kubelet-root-dir=" + root,
                "--dra.agent.kubernetes.field-selectors=client",
                "--server.port=" + apiPort,
                "--spring.grpc.server.port=" + grpcPort));
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(process);
    Agent agent = new Agent(process, apiPort, log);
    await()
        .atMost(START)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              assertThat(process.isAlive())
                  .as("agent process %s is alive (see %s)", name, log)
                  .isTrue();
              return status(apiPort, "/actuator/health/readiness") == 200;
            });
    return agent;
  }

  private ExampleDriver driver(String name, boolean publishes) throws IOException {
    ExampleDriverConfig config = ExampleDriverConfig.of(name, root, 1, NODE);
    ExampleDriver driver = new ExampleDriver(publishes ? config.withClient(admin) : config);
    drivers.add(driver);
    return driver.start();
  }

  private void awaitUsable(Agent agent, String driver) {
    await()
        .atMost(WAIT)
        .until(
            () ->
                status(agent.api(), "/api/v1/plugins/" + driver) == 200
                    && JSON.readTree(get(agent.api(), "/api/v1/plugins/" + driver))
                        .path("usable")
                        .asBoolean());
  }

  private @Nullable JsonNode pendingWipe(Agent agent, String driver) throws Exception {
    for (JsonNode pending : JSON.readTree(get(agent.api(), "/api/v1/cleanups")).path("pending")) {
      if (driver.equals(pending.path("driver").asString())) {
        return pending;
      }
    }
    return null;
  }

  private String component(Agent agent, String name) throws Exception {
    HttpResponse<String> response = fetch(agent.api(), "/actuator/health");
    return JSON.readTree(response.body()).path("components").path(name).path("status").asString();
  }

  private boolean exists(String slice) {
    return admin.resources(ResourceSlice.class).withName(slice).get() != null;
  }

  private String get(int port, String path) throws Exception {
    HttpResponse<String> response = fetch(port, path);
    assertThat(response.statusCode()).as("GET %s", path).isEqualTo(200);
    return response.body();
  }

  private int status(int port, String path) {
    try {
      return fetch(port, path).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private HttpResponse<String> fetch(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
