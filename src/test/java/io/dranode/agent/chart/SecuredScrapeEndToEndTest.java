package io.dranode.agent.chart;

import static io.dranode.agent.chart.RenderedChart.at;
import static io.dranode.agent.chart.RenderedChart.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.security.ChartReaderRole;
import io.dranode.agent.security.ReviewApiServer;
import io.dranode.agent.security.SecuredAgent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * The chart's ServiceMonitor endpoint in {@code security.mode=kubernetes}, as a real Prometheus
 * scrape config (HTTPS, its ServiceAccount's token from a file, the self-signed fallback's
 * verification switched off), against the agent in that mode with a mock API answering the reviews:
 * while Prometheus's user is not bound to the reader role every scrape is refused with 403 and
 * {@code DRANodeAgentDown} fires; bound to it, the scrape succeeds and the alert ends.
 */
@Tag("prometheus")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecuredScrapeEndToEndTest {

  static final Duration WAIT = Duration.ofSeconds(60);
  static final Duration POLL = Duration.ofMillis(200);
  static final String TOKEN = "prometheus-token";
  static final String PROMETHEUS_USER = "system:serviceaccount:monitoring:prometheus";

  private Path base;
  private SecuredAgent agent;
  private PrometheusServer prometheus;
  private final String job = "agent-dra-node-agent"; // the chart's full name for release "agent"

  @BeforeAll
  void start() throws IOException {
    PrometheusTools.require("prometheus");
    base = Files.createTempDirectory(Path.of("/tmp"), "scrape");
    // Refusals are reused for a second only, so that the new binding shows soon.
    agent = new SecuredAgent().start("--dra.agent.security.cache.denied-ttl=1s");
    agent.api.token(TOKEN, PROMETHEUS_USER);

    RenderedChart chart =
        ChartTestMonitoring.withRules(
            "serviceMonitor.enabled", "true", "prometheusRule.alerts.nodeAgentDown.for", "2s");
    Map<String, Object> endpoint = map(at(chart.one("ServiceMonitor"), "spec.endpoints.0"));
    Path prom = Files.createDirectories(base.resolve("prometheus"));
    Path tokenFile = Files.writeString(prom.resolve("token"), TOKEN);
    prometheus =
        PrometheusServer.start(
            prom,
            scrapeConfig(endpoint, tokenFile, "127.0.0.1:" + agent.managementPort()),
            PrometheusTools.writeRules(chart, prom));
  }

  /** The endpoint's settings in Prometheus' keys; the token file stands in for the pod's. */
  private Map<String, Object> scrapeConfig(
      Map<String, Object> endpoint, Path tokenFile, String target) {
    assertThat(endpoint)
        .containsEntry("scheme", "https")
        .containsEntry("bearerTokenFile", "/var/run/secrets/kubernetes.io/serviceaccount/token");
    Map<String, Object> config = new HashMap<>();
    config.put("job_name", job);
    config.put("metrics_path", endpoint.get("path"));
    config.put("scheme", endpoint.get("scheme"));
    config.put("authorization", Map.of("type", "Bearer", "credentials_file", tokenFile.toString()));
    config.put(
        "tls_config",
        Map.of(
            "insecure_skip_verify",
            map(endpoint.get("tlsConfig")).getOrDefault("insecureSkipVerify", false)));
    config.put(
        "static_configs",
        List.of(
            Map.of(
                "targets",
                List.of(target),
                "labels",
                Map.of("namespace", RenderedChart.NAMESPACE, "node", ReviewApiServer.NODE))));
    return config;
  }

  @AfterAll
  void stop() throws IOException {
    if (prometheus != null) {
      prometheus.close();
    }
    if (agent != null) {
      agent.close();
    }
    if (base != null) {
      try (Stream<Path> tree = Files.walk(base)) {
        for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  @Test
  @Order(1)
  void anUnboundPrometheusIsRefusedWith403AndTheAgentIsReportedDown() throws Exception {
    JsonNode target =
        await()
            .atMost(WAIT)
            .pollInterval(POLL)
            .until(this::target, t -> t != null && t.path("lastError").asString().contains("403"));
    assertThat(target.path("health").asString()).isEqualTo("down");

    // The target's own alert (before the first scrape, absent() fires one without a node).
    await()
        .atMost(WAIT)
        .pollInterval(POLL)
        .until(
            () -> alert("DRANodeAgentDown"),
            a ->
                a != null
                    && firing(a)
                    && ReviewApiServer.NODE.equals(a.path("labels").path("node").asString()));
  }

  @Test
  @Order(2)
  void boundToTheReaderRoleItScrapesAndTheAlertEnds() throws Exception {
    agent.api.grant(PROMETHEUS_USER, ChartReaderRole.paths().toArray(String[]::new));

    await().atMost(WAIT).pollInterval(POLL).until(() -> value("up{job=\"" + job + "\"}") == 1);
    // The agent's own count of the reviews behind it: the refusals first, then the grant.
    await()
        .atMost(WAIT)
        .pollInterval(POLL)
        .until(
            () ->
                value("sum(dra_agent_auth_reviews_total{kind=\"access\",result=\"allowed\"})")
                    >= 1);
    assertThat(value("sum(dra_agent_auth_reviews_total{kind=\"access\",result=\"denied\"})"))
        .isGreaterThanOrEqualTo(1);
    await().atMost(WAIT).pollInterval(POLL).until(() -> alert("DRANodeAgentDown") == null);
  }

  private @Nullable JsonNode target() throws Exception {
    List<JsonNode> targets = prometheus.targets();
    return targets.isEmpty() ? null : targets.get(0);
  }

  /** The alert of this name with a node label, else any of this name, else null. */
  private @Nullable JsonNode alert(String name) throws Exception {
    JsonNode found = null;
    for (JsonNode alert : prometheus.alerts()) {
      if (name.equals(alert.path("labels").path("alertname").asString())
          && (found == null || alert.path("labels").has("node"))) {
        found = alert;
      }
    }
    return found;
  }

  private static boolean firing(JsonNode alert) {
    return "firing".equals(alert.path("state").asString());
  }

  private double value(String promql) throws Exception {
    JsonNode result = prometheus.query(promql);
    return result.isEmpty()
        ? Double.NaN
        : Double.parseDouble(result.get(0).path("value").get(1).asString());
  }
}
