package io.dranode.agent.chart;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus server on loopback, for one test class: its own configuration (scrape and rule
 * evaluation every second), its own TSDB in a temporary folder and a free port; started and stopped
 * with bounded waits. Asked through its HTTP API, as a dashboard or an operator would.
 */
final class PrometheusServer implements AutoCloseable {

  static final Duration START_LIMIT = Duration.ofSeconds(60);
  static final Duration STOP_LIMIT = Duration.ofSeconds(20);

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Process process;
  private final String url;
  private final Path log;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private PrometheusServer(Process process, String url, Path log) {
    this.process = process;
    this.url = url;
    this.log = log;
  }

  /**
   * Starts Prometheus scraping {@code target} ({@code host:port}) at {@code metricsPath} as job
   * {@code job}, with the target labels given (as the chart's ServiceMonitor adds them), and
   * evaluating the rule file; returns once it is ready.
   */
  static PrometheusServer start(
      Path dir,
      String job,
      String target,
      String metricsPath,
      Map<String, String> targetLabels,
      Path rules)
      throws IOException {
    return start(
        dir,
        Map.of(
            "job_name", job,
            "metrics_path", metricsPath,
            "static_configs", List.of(Map.of("targets", List.of(target), "labels", targetLabels))),
        rules);
  }

  /**
   * Starts Prometheus with this one scrape config (in Prometheus' own keys: scheme, authorization,
   * TLS) and the rule file; returns once it is ready.
   */
  static PrometheusServer start(Path dir, Map<String, Object> scrapeConfig, Path rules)
      throws IOException {
    Path binary = PrometheusTools.require("prometheus");
    Path config =
        PrometheusTools.writeYaml(
            dir.resolve("prometheus.yml"),
            Map.of(
                "global",
                Map.of(
                    "scrape_interval", "1s",
                    "scrape_timeout", "1s",
                    "evaluation_interval", "1s"),
                "rule_files",
                List.of(rules.toAbsolutePath().toString()),
                "scrape_configs",
                List.of(scrapeConfig)));
    String address = InetAddress.getLoopbackAddress().getHostAddress() + ":" + freePort();
    Path data = Files.createDirectories(dir.resolve("tsdb"));
    Path log = dir.resolve("prometheus.log");
    Process process =
        new ProcessBuilder(
                binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + data,
                "--web.listen-address=" + address,
                "--log.level=warn")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    PrometheusServer server = new PrometheusServer(process, "http://" + address, log);
    try {
      await()
          .atMost(START_LIMIT)
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(
              () -> {
                if (!process.isAlive()) {
                  throw new IllegalStateException("prometheus exited: " + server.log());
                }
                return server.get("/-/ready").statusCode() == 200;
              });
    } catch (RuntimeException e) {
      server.close();
      throw new AssertionError("prometheus did not become ready: " + server.log(), e);
    }
    return server;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  String log() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The {@code data} of an API answer; fails with Prometheus' error if it is not a success. */
  JsonNode api(String path) throws IOException, InterruptedException {
    HttpResponse<String> response = get(path);
    JsonNode body = JSON.readTree(response.body());
    if (!"success".equals(body.path("status").asString())) {
      throw new AssertionError(
          path + " answered " + response.statusCode() + ": " + body.path("error").asString());
    }
    return body.path("data");
  }

  /** An instant query's result vector. */
  JsonNode query(String promql) throws IOException, InterruptedException {
    return api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))
        .path("result");
  }

  /** The scrape targets, each with its labels, health and last error. */
  List<JsonNode> targets() throws IOException, InterruptedException {
    List<JsonNode> targets = new ArrayList<>();
    api("/api/v1/targets?state=active").path("activeTargets").forEach(targets::add);
    return targets;
  }

  /** The alerts pending or firing now, each with its labels, annotations and state. */
  List<JsonNode> alerts() throws IOException, InterruptedException {
    List<JsonNode> alerts = new ArrayList<>();
    api("/api/v1/alerts").path("alerts").forEach(alerts::add);
    return alerts;
  }

  /** SIGTERM, then a bounded wait; killed if it does not end in time. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(STOP_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(STOP_LIMIT.toSeconds(), TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
