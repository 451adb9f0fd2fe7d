package io.dranode.agent.chart;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The alerting rules as the chart renders them (a real helm), checked by Prometheus' own {@code
 * promtool}: they load, and each alert fires after its {@code for:} on the series that mean trouble
 * and not on healthy ones ({@code prometheus/dra-node-agent.rules.test.yaml}, a promtool unit-test
 * file that also runs by hand: render the rules next to it and call {@code promtool test rules}).
 */
@Tag("prometheus")
class PromtoolRulesTest {

  static final String UNIT_TESTS = "prometheus/dra-node-agent.rules.test.yaml";

  @TempDir Path dir;

  @Test
  void theRenderedRulesPassPromtoolCheckRules() throws IOException {
    Path rules = PrometheusTools.writeRules(ChartTestMonitoring.withRules(), dir);

    PrometheusTools.Result check =
        PrometheusTools.promtool(dir, null, "check", "rules", rules.toString());

    assertThat(check.exitCode()).as(check.output()).isZero();
    assertThat(check.output()).contains("SUCCESS: 6 rules found");
  }

  /** Durations and thresholds from values still make valid rules; promtool would say otherwise. */
  @Test
  void rulesWithEveryValueChangedPassToo() throws IOException {
    Path rules =
        PrometheusTools.writeRules(
            ChartTestMonitoring.withRules(
                "prometheusRule.alerts.driverNotConnected.for", "30s",
                "prometheusRule.alerts.pluginRejected.minSockets", "3",
                "prometheusRule.alerts.resourceSliceWipeFailing.minFailedAttempts", "5",
                "prometheusRule.alerts.devicesUnhealthy.minUnhealthyDevices", "2",
                "prometheusRule.alerts.nodeAgentDown.for", "1h",
                "prometheusRule.targetSelector", "job=~\"dra-.*\""),
            dir);

    PrometheusTools.Result check =
        PrometheusTools.promtool(dir, null, "check", "rules", rules.toString());

    assertThat(check.exitCode()).as(check.output()).isZero();
  }

  /** The chart's schema cannot parse PromQL: a broken target selector is caught here. */
  @Test
  void aBrokenTargetSelectorFailsTheCheck() throws IOException {
    Path rules =
        PrometheusTools.writeRules(
            ChartTestMonitoring.withRules("prometheusRule.targetSelector", "job=="), dir);

    PrometheusTools.Result check =
        PrometheusTools.promtool(dir, null, "check", "rules", rules.toString());

    assertThat(check.exitCode()).isNotZero();
    assertThat(check.output()).contains("DRANodeAgentDown");
  }

  @Test
  void everyAlertFiresAfterItsForAndNotOnHealthySeries() throws IOException {
    PrometheusTools.writeRules(ChartTestMonitoring.withRules(), dir);
    Path tests = dir.resolve("dra-node-agent.rules.test.yaml");
    try (InputStream in = resource(UNIT_TESTS)) {
      Files.copy(in, tests);
    }

    PrometheusTools.Result test =
        PrometheusTools.promtool(dir, null, "test", "rules", tests.toString());

    assertThat(test.exitCode()).as(test.output()).isZero();
    assertThat(test.output()).contains("SUCCESS");
    assertThat(testedAlerts(tests)).containsExactlyInAnyOrderElementsOf(ChartTestMonitoring.ALERTS);
  }

  /** The alerts the unit-test file checks, from its {@code alert_rule_test} entries. */
  @SuppressWarnings("unchecked")
  private static Set<String> testedAlerts(Path tests) throws IOException {
    Map<String, Object> file = new Yaml().load(Files.readString(tests, StandardCharsets.UTF_8));
    Set<String> alerts = new TreeSet<>();
    for (Object test : (Iterable<Object>) file.get("tests")) {
      for (Object check : (Iterable<Object>) ((Map<String, Object>) test).get("alert_rule_test")) {
        alerts.add((String) ((Map<String, Object>) check).get("alertname"));
      }
    }
    return alerts;
  }

  private static InputStream resource(String name) {
    return Objects.requireNonNull(
        PromtoolRulesTest.class.getClassLoader().getResourceAsStream(name), name);
  }
}
