package io.dranode.agent.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.example.EmbeddedAgent;
import io.dranode.example.ExampleDriver;
import io.dranode.example.ExampleDriverConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.core.env.Environment;
import tools.jackson.databind.JsonNode;

/**
 * The chart's alerts and dashboard against a real Prometheus scraping a running agent: the embedded
 * default (its two example drivers, an in-memory API) in this JVM, Prometheus as a process on
 * loopback with the rules rendered from the chart, short {@code for:} durations set as values. The
 * tests run in order on one agent and one server: a driver crashes and comes back, then the agent
 * itself goes.
 */
@Tag("prometheus")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AlertsEndToEndTest {

  static final String GPU = "gpu.example.com";
  static final String NIC = "nic.example.com";
  static final String FOR = "4s";
  static final Duration WAIT = Duration.ofSeconds(60);
  static final Duration POLL = Duration.ofMillis(200);

  /** The metric families an agent with a refused plugin and a pending wipe exports. */
  static final List<String> FAMILIES =
      List.of(
          "dra_agent_registrations_total",
          "dra_agent_deregistrations_total",
          "dra_agent_plugin_instances",
          "dra_agent_drivers_usable",
          "dra_agent_registration_duration_seconds",
          "dra_agent_resourceslice_wipes_total",
          "dra_agent_resourceslices_deleted_total",
          "dra_agent_wipe_duration_seconds",
          "dra_agent_devices",
          "dra_agent_driver_condition",
          "dra_agent_event_streams",
          "dra_agent_event_writes_total",
          "dra_agent_rejected_sockets",
          "dra_agent_resourceslice_wipes_pending",
          "dra_agent_resourceslice_wipe_failed_attempts");

  private Path base;
  private EmbeddedAgent embedded;
  private ExampleDriver refused;
  private PrometheusServer prometheus;
  private String node;
  private String metricsUrl;
  private final String job = "agent-dra-node-agent"; // the chart's full name for release "agent"

  @BeforeAll
  void start() throws IOException {
    PrometheusTools.require("prometheus");
    PrometheusTools.require("promtool");
    base = Files.createTempDirectory(Path.of("/tmp"), "alerts");
    embedded = new EmbeddedAgent(base.resolve("agent"));
    // A wipe delay longer than the tests: a crashed driver's wipe stays pending.
    embedded.start(Duration.ofHours(1), "--server.port=0", "--spring.grpc.server.port=0");
    Environment env = embedded.agent().getEnvironment();
    node = Objects.requireNonNull(env.getProperty("dra.agent.node-name"));
    // Prometheus scrapes the one HTTP port, as the chart's ServiceMonitor does by default.
    metricsUrl = "127.0.0.1:" + Objects.requireNonNull(env.getProperty("local.server.port"));
    // A plugin the agent refuses: its name is no DRA driver name.
    refused =
        new ExampleDriver(ExampleDriverConfig.of("Bad_Name", embedded.kubeletRoot(), 1, node))
            .start();

    RenderedChart chart =
        ChartTestMonitoring.withRules(
            "prometheusRule.alerts.driverNotConnected.for", FOR,
            "prometheusRule.alerts.pluginRejected.for", "2s",
            "prometheusRule.alerts.driverPublishesNoSlices.for", "2s",
            "prometheusRule.alerts.resourceSliceWipeFailing.for", "2s",
            "prometheusRule.alerts.devicesUnhealthy.for", "2s",
            "prometheusRule.alerts.nodeAgentDown.for", "2s");
    Path prom = Files.createDirectories(base.resolve("prometheus"));
    // The target labels the chart's ServiceMonitor gives: the namespace, and the node.
    prometheus =
        PrometheusServer.start(
            prom,
            job,
            metricsUrl,
            "/actuator/prometheus",
            Map.of("namespace", RenderedChart.NAMESPACE, "node", node),
            PrometheusTools.writeRules(chart, prom));
  }

  @AfterAll
  void stop() throws IOException {
    if (prometheus != null) {
      prometheus.close();
    }
    if (refused != null) {
      refused.close();
    }
    if (embedded != null) {
      embedded.close();
    }
    if (base != null) {
      try (var tree = Files.walk(base)) {
        tree.sorted((a, b) -> b.getNameCount() - a.getNameCount())
            .forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  @Order(1)
  void healthyDriversRaiseNoAlertWhileTheRefusedPluginRaisesDRAPluginRejected() throws Exception {
    await().atMost(WAIT).pollInterval(POLL).until(() -> value("up{job=\"" + job + "\"}") == 1);
    await()
        .atMost(WAIT)
        .pollInterval(POLL)
        .until(() -> value("sum(dra_agent_drivers_usable)") == 2);

    JsonNode rejected =
        await()
            .atMost(WAIT)
            .pollInterval(POLL)
            .until(() -> alert("DRAPluginRejected", ""), a -> a != null && firing(a));
    assertThat(rejected.path("labels").path("node").asString()).isEqualTo(node);
    assertThat(rejected.path("annotations").path("description").asString())
        .startsWith(
            "1 registration socket(s) of a plugin without a valid DRA driver name on node " + node);

    // Several evaluations later, still nothing else: the two drivers are healthy.
    await()
        .during(Duration.ofSeconds(5))
        .atMost(WAIT)
        .pollInterval(POLL)
        .until(() -> activeAlertNames().equals(Set.of("DRAPluginRejected")));
  }

  @Test
  @Order(2)
  void aCrashedDriverRaisesDRADriverNotConnectedUntilItReturns() throws Exception {
    Objects.requireNonNull(embedded.driver(GPU)).crash();

    // Pending first (for the rule's "for:"), then firing.
    List<String> states = new ArrayList<>();
    JsonNode firing =
        await()
            .atMost(WAIT)
            .pollInterval(POLL)
            .until(
                () -> {
                  JsonNode alert = alert("DRADriverNotConnected", GPU);
                  if (alert != null
                      && (states.isEmpty()
                          || !states.get(states.size() - 1).equals(state(alert)))) {
                    states.add(state(alert));
                  }
                  return alert;
                },
                a -> a != null && firing(a));
    assertThat(states).containsExactly("pending", "firing");
    assertThat(firing.path("labels").path("node").asString()).isEqualTo(node);
    assertThat(firing.path("labels").path("severity").asString()).isEqualTo("warning");
    assertThat(firing.path("annotations").path("description").asString())
        .isEqualTo(
            "DRA driver "
                + GPU
                + " on node "
                + node
                + " has had no reachable instance for "
                + FOR
                + " (its Connected condition is False): pods that need its devices cannot start"
                + " there, and the agent deletes its ResourceSlices on the node after its grace"
                + " period.");
    assertThat(firing.path("annotations").path("runbook_url").asString())
        .endsWith("/docs/ALERTS.md#dradrivernotconnected");
    // The other driver is fine; the crashed one's pending wipe has not failed.
    assertThat(alert("DRADriverNotConnected", NIC)).isNull();
    assertThat(activeAlertNames())
        .containsExactlyInAnyOrder("DRAPluginRejected", "DRADriverNotConnected");

    // While it is down, the agent exports every family of its own: promtool finds nothing in them.
    theLiveScrapePassesPromtoolsLint();
    // And every query of the dashboard evaluates, with data, against this server.
    everyDashboardQueryEvaluates();

    embedded.startDriver(GPU);
    await()
        .atMost(WAIT)
        .pollInterval(POLL)
        .until(() -> alert("DRADriverNotConnected", GPU) == null);
    assertThat(value("sum(dra_agent_drivers_usable)")).isEqualTo(2);
  }

  @Test
  @Order(3)
  void anAgentThatStopsRaisesDRANodeAgentDown() throws Exception {
    assertThat(alert("DRANodeAgentDown", null)).isNull();

    embedded.agent().close();

    JsonNode down =
        await()
            .atMost(WAIT)
            .pollInterval(POLL)
            .until(() -> alert("DRANodeAgentDown", null), a -> a != null && firing(a));
    assertThat(down.path("labels").path("node").asString()).isEqualTo(node);
    assertThat(down.path("annotations").path("summary").asString())
        .isEqualTo("The DRA node agent on node " + node + " is down");
  }

  private void theLiveScrapePassesPromtoolsLint() throws Exception {
    HttpResponse<String> scrape =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://" + metricsUrl + "/actuator/prometheus"))
                    .header("Accept", "text/plain; version=0.0.4")
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(scrape.statusCode()).isEqualTo(200);
    for (String family : FAMILIES) {
      assertThat(scrape.body()).as("exported families").contains("# TYPE " + family + " ");
    }

    PrometheusTools.Result lint = PrometheusTools.promtool(base, scrape.body(), "check", "metrics");

    // promtool also judges the JVM and Tomcat metrics of Micrometer; only ours must be clean.
    List<String> ours =
        lint.output().lines().filter(line -> line.startsWith("dra_agent_")).toList();
    assertThat(ours).as(lint.output()).isEmpty();
    assertThat(lint.output()).doesNotContain("error while linting");
  }

  /**
   * Each panel's queries with the dashboard's variables set as Grafana sets them ("All" is {@code
   * .*}): every one is valid PromQL here and has data; every variable's {@code label_values} finds
   * its label.
   */
  private void everyDashboardQueryEvaluates() throws Exception {
    JsonNode dashboard = ChartTestMonitoring.dashboard();
    for (String expr : ChartTestMonitoring.expressions(dashboard)) {
      String promql = withVariables(expr);
      await()
          .atMost(WAIT)
          .pollInterval(POLL)
          .untilAsserted(() -> assertThat(prometheus.query(promql)).as(promql).isNotEmpty());
    }
    Pattern labelValues = Pattern.compile("^label_values\\((.*), *(\\w+)\\)$");
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if (!variable.path("type").asString().equals("query")) {
        continue;
      }
      Matcher m = labelValues.matcher(variable.path("query").asString());
      assertThat(m.matches()).as(variable.toString()).isTrue();
      JsonNode result = prometheus.query(withVariables(m.group(1)));
      assertThat(result).as(m.group(1)).isNotEmpty();
      assertThat(result.get(0).path("metric").path(m.group(2)).asString())
          .as(m.group())
          .isNotEmpty();
    }
  }

  private String withVariables(String expr) {
    return expr.replace("$__rate_interval", "1m")
        .replace("$node", node)
        .replace("$driver", ".*")
        .replace("$job", job);
  }

  private double value(String promql) throws Exception {
    JsonNode result = prometheus.query(promql);
    return result.isEmpty()
        ? Double.NaN
        : Double.parseDouble(result.get(0).path("value").get(1).asString());
  }

  /**
   * The active alert of that name for that driver (null: no {@code driver} label at all, as for a
   * plugin without a valid name or the agent itself), or null when there is none.
   */
  private @Nullable JsonNode alert(String name, @Nullable String driver) throws Exception {
    for (JsonNode alert : prometheus.alerts()) {
      JsonNode labels = alert.path("labels");
      boolean sameDriver =
          driver == null || driver.isEmpty()
              ? labels.path("driver").isMissingNode()
              : driver.equals(labels.path("driver").asString());
      if (name.equals(labels.path("alertname").asString()) && sameDriver) {
        return alert;
      }
    }
    return null;
  }

  private Set<String> activeAlertNames() throws Exception {
    Set<String> names = new TreeSet<>();
    prometheus.alerts().forEach(a -> names.add(a.path("labels").path("alertname").asString()));
    return names;
  }

  private static String state(JsonNode alert) {
    return alert.path("state").asString();
  }

  private static boolean firing(JsonNode alert) {
    return "firing".equals(state(alert));
  }
}
