package io.dranode.agent.chart;

import static io.dranode.agent.chart.RenderedChart.NAMESPACE;
import static io.dranode.agent.chart.RenderedChart.at;
import static io.dranode.agent.chart.RenderedChart.list;
import static io.dranode.agent.chart.RenderedChart.map;
import static io.dranode.agent.chart.RenderedChart.render;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The chart's monitoring, off by default: the PrometheusRule with exactly the six alerts, their
 * labels, annotations, runbook links and values; the Grafana dashboard's ConfigMap and the
 * dashboard itself. Whether the alerts fire when they should is for Prometheus to say ({@link
 * PromtoolRulesTest}, {@link AlertsEndToEndTest}).
 */
@Tag("chart")
class ChartTestMonitoring {

  static final List<String> ALERTS =
      List.of(
          "DRADriverNotConnected",
          "DRAPluginRejected",
          "DRADriverPublishesNoSlices",
          "DRAResourceSliceWipeFailing",
          "DRADevicesUnhealthy",
          "DRANodeAgentDown");
  static final Path DASHBOARD = RenderedChart.CHART.resolve("dashboards/dra-node-agent.json");
  static final Path RUNBOOKS = Path.of("docs", "ALERTS.md");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** The rendered alerting rules, by alert name. */
  static Map<String, Map<String, Object>> alerts(RenderedChart chart) {
    Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
    for (Object group : list(at(chart.one("PrometheusRule"), "spec.groups"))) {
      for (Object rule : list(at(group, "rules"))) {
        byName.put((String) map(rule).get("alert"), map(rule));
      }
    }
    return byName;
  }

  static RenderedChart withRules(String... keysAndValues) {
    List<String> all = new ArrayList<>(List.of("prometheusRule.enabled", "true"));
    all.addAll(List.of(keysAndValues));
    return render(all.toArray(String[]::new));
  }

  @Test
  void neitherRulesNorDashboardByDefault() {
    RenderedChart chart = render();

    assertThat(chart.has("PrometheusRule")).isFalse();
    assertThat(chart.has("ConfigMap")).isFalse();
  }

  @Test
  void theRuleHoldsExactlyTheSixAlertsEachWithSeveritySummaryDescriptionAndRunbook() {
    Map<String, Map<String, Object>> alerts = alerts(withRules());

    assertThat(alerts.keySet()).containsExactlyElementsOf(ALERTS);
    alerts.forEach(
        (name, rule) -> {
          assertThat(at(rule, "labels.severity")).as(name).isEqualTo("warning");
          assertThat(map(at(rule, "annotations")))
              .as(name)
              .containsOnlyKeys("summary", "description", "runbook_url");
          String description = (String) at(rule, "annotations.description");
          assertThat(description).as(name).contains("{{ $labels.node }}");
          if (!name.equals("DRANodeAgentDown")) {
            assertThat(description).as(name).contains("{{ $labels.driver }}");
            assertThat((String) rule.get("expr")).as(name).contains("by (node, driver)");
          }
          assertThat(at(rule, "annotations.runbook_url"))
              .as(name)
              .isEqualTo(
                  "https://github.com/dranode/dra-node-agent/blob/main/docs/ALERTS.md#"
                      + name.toLowerCase(Locale.ROOT));
        });
    assertThat(alerts.get("DRADriverNotConnected")).containsEntry("for", "5m");
    assertThat(alerts.get("DRAPluginRejected")).containsEntry("for", "10m");
    assertThat(alerts.get("DRADriverPublishesNoSlices")).containsEntry("for", "10m");
    assertThat(alerts.get("DRAResourceSliceWipeFailing")).containsEntry("for", "10m");
    assertThat(alerts.get("DRADevicesUnhealthy")).containsEntry("for", "5m");
    assertThat(alerts.get("DRANodeAgentDown")).containsEntry("for", "5m");
  }

  /** GitHub's anchor of a heading is its text in lower case: each alert has its own. */
  @Test
  void everyRunbookLinkHasItsSectionInAlertsMd() throws IOException {
    String runbooks = Files.readString(RUNBOOKS, StandardCharsets.UTF_8);
    Set<String> headings = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^## (\\S+)$").matcher(runbooks);
    while (m.find()) {
      headings.add(m.group(1).toLowerCase(Locale.ROOT));
    }

    for (Map<String, Object> rule : alerts(withRules()).values()) {
      String url = (String) at(rule, "annotations.runbook_url");
      assertThat(headings).contains(url.substring(url.indexOf('#') + 1));
    }
  }

  @Test
  void durationsSeveritiesThresholdsAndTheRunbookBaseAreValues() {
    Map<String, Map<String, Object>> alerts =
        alerts(
            withRules(
                "prometheusRule.runbookBaseUrl", "https://wiki.example.com/dra",
                "prometheusRule.alerts.driverNotConnected.for", "7m",
                "prometheusRule.alerts.driverNotConnected.severity", "critical",
                "prometheusRule.alerts.pluginRejected.minSockets", "2",
                "prometheusRule.alerts.resourceSliceWipeFailing.minFailedAttempts", "3",
                "prometheusRule.alerts.devicesUnhealthy.minUnhealthyDevices", "4",
                "prometheusRule.alerts.driverPublishesNoSlices.enabled", "false"));

    assertThat(alerts).doesNotContainKey("DRADriverPublishesNoSlices").hasSize(5);
    Map<String, Object> notConnected = alerts.get("DRADriverNotConnected");
    assertThat(notConnected).containsEntry("for", "7m");
    assertThat(at(notConnected, "labels.severity")).isEqualTo("critical");
    assertThat((String) at(notConnected, "annotations.description")).contains(" for 7m ");
    assertThat(at(notConnected, "annotations.runbook_url"))
        .isEqualTo("https://wiki.example.com/dra#dradrivernotconnected");
    assertThat((String) alerts.get("DRAPluginRejected").get("expr")).endsWith(" >= 2");
    assertThat((String) alerts.get("DRAResourceSliceWipeFailing").get("expr")).endsWith(" >= 3");
    assertThat((String) alerts.get("DRADevicesUnhealthy").get("expr"))
        .contains(" >= 4 and on (node, driver) ");
  }

  /** DRANodeAgentDown selects the ServiceMonitor's job (the Service's name) in the namespace. */
  @Test
  void agentDownWatchesTheServiceMonitorsTargetsUnlessTold() {
    RenderedChart chart = withRules("serviceMonitor.enabled", "true");
    String expr = (String) alerts(chart).get("DRANodeAgentDown").get("expr");

    String service = (String) at(chart.one("Service"), "metadata.name");
    String selector = "{job=\"" + service + "\",namespace=\"" + NAMESPACE + "\"}";
    assertThat(expr).isEqualTo("up" + selector + " == 0 or absent(up" + selector + ")");

    String custom =
        (String)
            alerts(withRules("prometheusRule.targetSelector", "job=\"kubernetes-pods\""))
                .get("DRANodeAgentDown")
                .get("expr");
    assertThat(custom)
        .isEqualTo("up{job=\"kubernetes-pods\"} == 0 or absent(up{job=\"kubernetes-pods\"})");
  }

  @Test
  void theRuleCarriesTheLabelsPrometheusSelectsBy() {
    Map<String, Object> rule =
        withRules("prometheusRule.labels.release", "kube-prometheus-stack").one("PrometheusRule");

    assertThat(at(rule, "apiVersion")).isEqualTo("monitoring.coreos.com/v1");
    assertThat(at(rule, "metadata.namespace")).isEqualTo(NAMESPACE);
    assertThat(map(at(rule, "metadata.labels")))
        .containsEntry("release", "kube-prometheus-stack")
        .containsEntry("app.kubernetes.io/part-of", "dra-node-agent");
  }

  @Test
  void theDashboardConfigMapHoldsTheDashboardWithTheSidecarsLabel() throws IOException {
    Map<String, Object> configMap = render("grafanaDashboard.enabled", "true").one("ConfigMap");

    assertThat(map(at(configMap, "metadata.labels"))).containsEntry("grafana_dashboard", "1");
    assertThat(at(configMap, "metadata.namespace")).isEqualTo(NAMESPACE);
    JsonNode shipped =
        JSON.readTree((String) map(at(configMap, "data")).get("dra-node-agent.json"));
    assertThat(shipped).isEqualTo(JSON.readTree(DASHBOARD.toFile()));
  }

  @Test
  void theDashboardsLabelNamespaceAndAnnotationsAreValues() {
    Map<String, Object> configMap =
        render(
                "grafanaDashboard.enabled", "true",
                "grafanaDashboard.label", "example.com/dashboard",
                "grafanaDashboard.labelValue", "dra",
                "grafanaDashboard.namespace", "monitoring",
                "grafanaDashboard.annotations.grafana_folder", "DRA")
            .one("ConfigMap");

    assertThat(map(at(configMap, "metadata.labels")))
        .containsEntry("example.com/dashboard", "dra")
        .doesNotContainKey("grafana_dashboard");
    assertThat(at(configMap, "metadata.namespace")).isEqualTo("monitoring");
    assertThat(map(at(configMap, "metadata.annotations"))).containsEntry("grafana_folder", "DRA");
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
    "prometheusRule.alerts.driverNotConnected.for,      soon,   at '/prometheusRule/alerts/driverNotConnected/for'",
    "prometheusRule.alerts.driverNotConnected.fro,      5m,     additional properties 'fro' not allowed",
    "prometheusRule.alerts.bogusAlert.for,              5m,     additional properties 'bogusAlert' not allowed",
    "prometheusRule.alerts.devicesUnhealthy.minUnhealthyDevices, 0, at '/prometheusRule/alerts/devicesUnhealthy/minUnhealthyDevices'",
    "prometheusRule.alerts.nodeAgentDown.severity,      'Page me', at '/prometheusRule/alerts/nodeAgentDown/severity'",
    "prometheusRule.targetSelector,                     '{job=\"x\"}', at '/prometheusRule/targetSelector'",
    "prometheusRule.runbookBaseUrl,                     docs/ALERTS.md, at '/prometheusRule/runbookBaseUrl'",
    "grafanaDashboard.label,                            'not a label', at '/grafanaDashboard/label'",
    "grafanaDashboard.bogus,                            1,      additional properties 'bogus' not allowed"
  })
  void schemaRejects(String key, String value, String message) {
    assertThatThrownBy(() -> RenderedChart.template(NAMESPACE, key, value).call())
        .hasMessageContaining("don't meet the specifications of the schema")
        .hasMessageContaining(message);
  }

  // --- the dashboard itself ---

  @Test
  void theDashboardHasAUidATitleAndTheVariablesDatasourceNodeAndDriver() throws IOException {
    JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());

    assertThat(dashboard.path("uid").asString()).isEqualTo("dra-node-agent");
    assertThat(dashboard.path("title").asString()).isEqualTo("DRA node agent");
    Map<String, JsonNode> variables = new LinkedHashMap<>();
    dashboard
        .path("templating")
        .path("list")
        .forEach(v -> variables.put(v.path("name").asString(), v));
    assertThat(variables).containsKeys("datasource", "node", "driver");
    assertThat(variables.get("datasource").path("type").asString()).isEqualTo("datasource");
    assertThat(variables.get("datasource").path("query").asString()).isEqualTo("prometheus");
    for (String name : List.of("node", "driver")) {
      JsonNode variable = variables.get(name);
      assertThat(variable.path("type").asString()).as(name).isEqualTo("query");
      assertThat(variable.path("query").asString()).as(name).startsWith("label_values(dra_agent_");
      assertThat(variable.path("includeAll").asBoolean()).as(name).isTrue();
    }
  }

  /**
   * Every panel has a query, and every panel and query reads from the datasource variable, so the
   * dashboard works on any Prometheus the user picks; every variable a query uses is defined.
   */
  @Test
  void everyPanelQueriesTheDatasourceVariable() throws IOException {
    JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
    Set<String> defined = new TreeSet<>(Set.of("__rate_interval", "__interval", "__range"));
    dashboard.path("templating").path("list").forEach(v -> defined.add(v.path("name").asString()));
    dashboard
        .path("templating")
        .path("list")
        .forEach(
            v -> {
              if (v.path("type").asString().equals("query")) {
                assertThat(v.path("datasource").path("uid").asString()).isEqualTo("${datasource}");
              }
            });

    List<JsonNode> panels = panels(dashboard);
    assertThat(panels).hasSizeGreaterThanOrEqualTo(10);
    Set<Integer> ids = new TreeSet<>();
    Pattern variable = Pattern.compile("\\$\\{?(\\w+)");
    for (JsonNode panel : panels) {
      String title = panel.path("title").asString();
      assertThat(ids.add(panel.path("id").asInt())).as("unique id of %s", title).isTrue();
      assertThat(title).isNotBlank();
      assertThat(panel.path("datasource").path("uid").asString())
          .as(title)
          .isEqualTo("${datasource}");
      assertThat(panel.path("targets").size()).as("queries of %s", title).isPositive();
      for (JsonNode target : panel.path("targets")) {
        assertThat(target.path("datasource").path("uid").asString())
            .as(title)
            .isEqualTo("${datasource}");
        String expr = target.path("expr").asString();
        assertThat(expr).as(title).isNotBlank();
        Matcher m = variable.matcher(expr);
        while (m.find()) {
          assertThat(defined).as("variables used in %s", title).contains(m.group(1));
        }
      }
    }
  }

  /** The panels with queries (rows hold none), as Grafana lays them out. */
  static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> panels = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      if (!panel.path("type").asString().equals("row")) {
        panels.add(panel);
      }
    }
    return panels;
  }

  /** Every PromQL expression of the dashboard's panels. */
  static List<String> expressions(JsonNode dashboard) {
    List<String> exprs = new ArrayList<>();
    for (JsonNode panel : panels(dashboard)) {
      panel.path("targets").forEach(t -> exprs.add(t.path("expr").asString()));
    }
    return exprs;
  }

  static JsonNode dashboard() throws IOException {
    return JSON.readTree(DASHBOARD.toFile());
  }
}
