package io.dranode.agent.chart;

import static io.dranode.agent.chart.RenderedChart.NAMESPACE;
import static io.dranode.agent.chart.RenderedChart.pairs;
import static io.dranode.agent.chart.RenderedChart.render;
import static io.dranode.agent.chart.RenderedChart.renderIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Helm chart as a whole: it lints, renders under every value set we document, and refuses bad
 * values with a message that says what to fix. Every chart test class starts with "ChartTest" so
 * that {@code -Dtest='ChartTest*'} runs them all.
 */
@Tag("chart")
class ChartTest {

  @Test
  void lintFindsNoErrorsOrWarnings() {
    LintResult result = new Helm(RenderedChart.CHART).lint().strict().call();

    assertThat(result.isFailed()).as("lint failed: %s", result.getMessages()).isFalse();
    assertThat(result.getMessages())
        .noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "",
        "agent.mode=registrar,logging.json=false",
        "agent.wipe.enabled=false",
        "agent.wipe.dryRun=true,agent.wipe.delay=45s,agent.wipe.sweepInterval=10m",
        "serviceMonitor.enabled=true,serviceMonitor.interval=15s",
        "serviceAccount.create=false,serviceAccount.name=existing",
        "fullnameOverride=dra,nameOverride=agent-x",
        "admissionPolicy.enabled=false",
        "security.mode=none,serviceMonitor.enabled=true",
        "security.tls.secretName=agent-tls,serviceMonitor.enabled=true,security.audiences[0]=x",
        "quarantine.enabled=true,quarantine.pools=any",
        "agent.wipe.ignoreDrivers[0]=nic.example.com,agent.wipe.ignoreDrivers[1]=fpga.example.com",
        "image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "extraEnv[0].name=LOGGING_LEVEL_IO_DRANODE,extraEnv[0].value=DEBUG",
        "priorityClassName=,kubeletDirsReadOnly=false,updateStrategy.rollingUpdate.maxUnavailable=25%"
      })
  void rendersWithValueSet(String valueSet) {
    RenderedChart chart = render(pairs(valueSet));

    assertThat(chart.one("DaemonSet")).isNotNull();
    assertThat(chart.named("ClusterRole", chart.fullname())).isNotNull();
    assertThat(chart.one("ClusterRoleBinding")).isNotNull();
    assertThat(chart.one("Service")).isNotNull();
    assertThat(chart.has("ServiceAccount")).isEqualTo(!valueSet.contains("create=false"));
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
    "agent.mode,            bogus,    at '/agent/mode'",
    "ports.management,      -1,       at '/ports/management'",
    "ports.http,            70000,    at '/ports/http'",
    "bogusTopLevelKey,      1,        additional properties 'bogusTopLevelKey' not allowed",
    "agent.wipe.delay,      2m2s,     at '/agent/wipe/delay'",
    "agent.wipe.sweepInterval, soon,  at '/agent/wipe/sweepInterval'",
    "image.pullPolicy,      Sometimes, at '/image/pullPolicy'",
    "kubeletRootDir,        var/lib/kubelet, at '/kubeletRootDir'",
    "updateStrategy.rollingUpdate.maxUnavailable, 0, at '/updateStrategy/rollingUpdate/maxUnavailable'",
    "quarantine.pools,      all,      at '/quarantine/pools'",
    "quarantine.enabled,    yes,      at '/quarantine/enabled'",
    "agent.wipe.ignoreDrivers[0], GPU_Example, at '/agent/wipe/ignoreDrivers/0'"
  })
  void schemaRejects(String key, String value, String message) {
    assertThatThrownBy(() -> RenderedChart.template(NAMESPACE, key, value).call())
        .hasMessageContaining("don't meet the specifications of the schema")
        .hasMessageContaining(message);
  }

  /** The agent needs resource.k8s.io/v1, served from 1.34: the chart says so before installing. */
  @Test
  void refusesAKubernetesWithoutResourceSlicesOfV1() {
    assertThatThrownBy(
            () ->
                new Helm(RenderedChart.CHART)
                    .template()
                    .withName(RenderedChart.RELEASE)
                    .withNamespace(NAMESPACE)
                    .withKubeVersion("v1.33.4")
                    .call())
        .hasMessageContaining("v1.33.4")
        .hasMessageContaining(">=1.34.0-0");
  }

  @Test
  void refusesTheDefaultNamespaceUnlessAllowed() {
    assertThatThrownBy(() -> RenderedChart.template("default").call())
        .hasMessageContaining("refusing to install into the 'default' namespace")
        .hasMessageContaining("allowDefaultNamespace=true");

    assertThat(renderIn("default", "allowDefaultNamespace", "true").one("DaemonSet")).isNotNull();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "agent.wipe.enabled=false,agent.wipe.dryRun=true | agent.wipe.dryRun=true has no effect",
        "serviceAccount.create=false | serviceAccount.create is false but serviceAccount.name is empty",
        "ports.grpc=8080 | ports.http and ports.grpc (8080) must differ",
        "ports.management=9090 | ports.management (9090) must differ",
        "ports.management=8080 | leave ports.management unset",
        "terminationGracePeriodSeconds=20 | must exceed the application's 20 s shutdown"
      })
  void guardRailFails(String valueSet, String message) {
    assertThatThrownBy(() -> RenderedChart.template(NAMESPACE, pairs(valueSet)).call())
        .hasMessageContaining(message);
  }
}
