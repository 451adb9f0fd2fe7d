package io.dranode.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.clusterview.DRANode;
import io.dranode.agent.clusterview.DRANodeStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The DRANode from a real run of the embedded default: example drivers over real Unix sockets, the
 * agent, the in-memory API. The object appears owned by the Node, lists both drivers, and {@code
 * kubectl get dranodes} (asked for a Table, as kubectl asks) shows the CRD's columns. Where a
 * {@code kubectl} is installed, its own output is printed too (the README shows it).
 */
@Tag("e2e")
class EmbeddedAgentDRANodeE2ETest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Path base;
  private EmbeddedAgent embedded;

  @BeforeEach
  void start() throws IOException {
    base = Files.createTempDirectory(Path.of("/tmp"), "dn");
    embedded = new EmbeddedAgent(base);
    embedded.start(Duration.ofSeconds(2), "--server.port=0", "--spring.grpc.server.port=0");
  }

  @AfterEach
  void stop() throws IOException {
    embedded.close();
    try (var tree = Files.walk(base)) {
      tree.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void theNodesDRANodeListsItsDriversAndKubectlShowsTheColumns() throws Exception {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              DRANode node =
                  embedded.client().resources(DRANode.class).withName(EmbeddedAgent.NODE).get();
              assertThat(node).isNotNull();
              DRANodeStatus status = node.getStatus();
              assertThat(status).isNotNull();
              assertThat(status.drivers())
                  .map(DRANodeStatus.Driver::name)
                  .containsExactlyElementsOf(
                      EmbeddedAgent.DRIVERS.keySet().stream().sorted().toList());
              assertThat(status.summary().usable()).isEqualTo(2);
            });
    DRANode node = embedded.client().resources(DRANode.class).withName(EmbeddedAgent.NODE).get();
    String nodeUid =
        embedded.client().nodes().withName(EmbeddedAgent.NODE).get().getMetadata().getUid();
    assertThat(node.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            owner -> {
              assertThat(owner.getKind()).isEqualTo("Node");
              assertThat(owner.getName()).isEqualTo(EmbeddedAgent.NODE);
              assertThat(owner.getUid()).isEqualTo(nodeUid);
            });

    HttpResponse<String> table =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(embedded.apiUrl() + "/apis/dra.dranode.io/v1alpha1/dranodes"))
                    .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    JsonNode answer = JSON.readTree(table.body());
    assertThat(answer.path("kind").asString("")).isEqualTo("Table");
    assertThat(answer.path("columnDefinitions").valueStream().map(c -> c.path("name").asString("")))
        .containsExactly(
            "Name", "Drivers", "Usable", "NotReady", "Rejected", "PendingWipes", "Mode", "Age");
    JsonNode cells = answer.path("rows").path(0).path("cells");
    assertThat(cells.path(0).asString("")).isEqualTo(EmbeddedAgent.NODE);
    assertThat(cells.path(1).asInt(-1)).isEqualTo(2);
    assertThat(cells.path(2).asInt(-1)).isEqualTo(2);
    assertThat(cells.path(6).asString("")).isEqualTo("registrar");

    // GET /api/v1/node shows the document written into the object's status, once the last
    // change has been written (at most one write per min-interval).
    String port = embedded.agent().getEnvironment().getRequiredProperty("local.server.port");
    HttpRequest restNode =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/node")).build();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              HttpResponse<String> rest =
                  HttpClient.newHttpClient().send(restNode, HttpResponse.BodyHandlers.ofString());
              assertThat(rest.statusCode()).isEqualTo(200);
              DRANode latest =
                  embedded.client().resources(DRANode.class).withName(EmbeddedAgent.NODE).get();
              assertThat(JSON.readTree(rest.body()))
                  .isEqualTo(
                      JSON.readTree(
                          embedded
                              .client()
                              .getKubernetesSerialization()
                              .asJson(latest.getStatus())));
            });

    printKubectl("get", "dranodes");
    printKubectl("get", "dran", EmbeddedAgent.NODE, "-o", "yaml");
  }

  /**
   * Runs the installed kubectl against the in-memory API, if there is one, and prints its output.
   */
  private void printKubectl(String... args) throws Exception {
    Path kubectl = Path.of("/usr/bin/kubectl");
    if (!Files.isExecutable(kubectl)) {
      return;
    }
    List<String> command =
        new java.util.ArrayList<>(List.of(kubectl.toString(), "--server", embedded.apiUrl()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    System.out.println(
        "$ kubectl --server <in-memory API> " + String.join(" ", args) + "\n" + output);
    assertThat(process.exitValue()).as(output).isZero();
  }
}
