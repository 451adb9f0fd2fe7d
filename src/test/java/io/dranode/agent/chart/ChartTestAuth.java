package io.dranode.agent.chart;

import static io.dranode.agent.chart.RenderedChart.at;
import static io.dranode.agent.chart.RenderedChart.list;
import static io.dranode.agent.chart.RenderedChart.map;
import static io.dranode.agent.chart.RenderedChart.render;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * security.mode kubernetes, the chart's default: what the agent may ask the API server, what
 * readers are granted, HTTPS probes and scrapes, the TLS Secret, the NOTES recipe and the optional
 * NetworkPolicy; and none of it in security.mode none.
 */
@Tag("chart")
class ChartTestAuth {

  static final Path INSPECTION_PROTO =
      Path.of("proto", "dranode", "agent", "v1", "inspection.proto");

  @Test
  void theAgentMayReviewTokensAndAccess() {
    RenderedChart chart = render();

    List<Object> rules = list(at(chart.named("ClusterRole", chart.fullname()), "rules"));

    List<Object> expected = new ArrayList<>(ChartTestSecurity.BASE_RULES);
    expected.add(
        Map.of(
            "apiGroups", List.of("authentication.k8s.io"),
            "resources", List.of("tokenreviews"),
            "verbs", List.of("create")));
    expected.add(
        Map.of(
            "apiGroups", List.of("authorization.k8s.io"),
            "resources", List.of("subjectaccessreviews"),
            "verbs", List.of("create")));
    assertThat(rules).isEqualTo(expected);
    assertThat(chart.env("DRA_AGENT_SECURITY_MODE")).containsEntry("value", "kubernetes");
  }

  /** Every method of the gRPC API has its path in the role, read from the proto itself. */
  @Test
  void theReaderRoleGrantsGetOnEveryPathTheAgentChecks() throws IOException {
    RenderedChart chart = render();
    Map<String, Object> reader = chart.named("ClusterRole", chart.fullname() + "-reader");

    Map<String, Object> rule = map(at(reader, "rules.0"));
    assertThat(list(at(reader, "rules"))).hasSize(1);
    assertThat(rule).containsOnlyKeys("nonResourceURLs", "verbs");
    assertThat(rule.get("verbs")).isEqualTo(List.of("get"));
    List<String> paths = list(rule.get("nonResourceURLs")).stream().map(String::valueOf).toList();
    assertThat(paths)
        .contains(
            "/api/v1/*",
            "/v3/api-docs",
            "/v3/api-docs.yaml",
            "/actuator/prometheus",
            "/actuator/info")
        .doesNotContain("/actuator/health/liveness", "/actuator/health/readiness")
        .containsAll(
            inspectionMethods().stream().map(m -> "/dranode.agent.v1.Inspection/" + m).toList());
    assertThat(inspectionMethods()).hasSize(6);
    assertThat(chart.all("ClusterRoleBinding")).hasSize(1); // no reader binding unless asked
  }

  @Test
  void readerSubjectsAreBound() {
    RenderedChart chart =
        render(
            "security.reader.subjects[0].kind", "ServiceAccount",
            "security.reader.subjects[0].name", "prometheus-k8s",
            "security.reader.subjects[0].namespace", "monitoring",
            "security.reader.subjects[1].kind", "Group",
            "security.reader.subjects[1].name", "node-readers");
    String reader = chart.fullname() + "-reader";

    Map<String, Object> binding = chart.named("ClusterRoleBinding", reader);

    assertThat(at(binding, "roleRef.name")).isEqualTo(reader);
    assertThat(at(binding, "subjects"))
        .isEqualTo(
            List.of(
                Map.of(
                    "kind", "ServiceAccount", "name", "prometheus-k8s", "namespace", "monitoring"),
                Map.of(
                    "kind", "Group",
                    "name", "node-readers",
                    "apiGroup", "rbac.authorization.k8s.io")));
  }

  @Test
  void probesAreHttps() {
    Map<String, Object> container = render().agentContainer();

    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      assertThat(at(container, probe + ".httpGet.scheme")).as(probe).isEqualTo("HTTPS");
    }
  }

  @Test
  void withoutATlsSecretTheCertificateIsSelfSignedForThePodIp() {
    RenderedChart chart = render();

    assertThat(chart.env("DRA_AGENT_SECURITY_TLS_POD_IP"))
        .containsEntry("valueFrom", Map.of("fieldRef", Map.of("fieldPath", "status.podIP")));
    assertThat(list(at(chart.daemonSetPod(), "volumes")))
        .noneMatch(v -> "tls".equals(map(v).get("name")));
    assertThat(list(at(chart.agentContainer(), "env")))
        .noneMatch(e -> String.valueOf(map(e).get("name")).contains("CERTIFICATE_FILE"));
  }

  @Test
  void aTlsSecretIsMountedReadOnlyAndNamedToTheAgent() {
    RenderedChart chart = render("security.tls.secretName", "agent-tls");

    assertThat(list(at(chart.daemonSetPod(), "volumes")))
        .contains(Map.of("name", "tls", "secret", Map.of("secretName", "agent-tls")));
    assertThat(list(at(chart.agentContainer(), "volumeMounts")))
        .contains(Map.of("name", "tls", "mountPath", "/etc/dra-node-agent/tls", "readOnly", true));
    assertThat(chart.env("DRA_AGENT_SECURITY_TLS_CERTIFICATE_FILE"))
        .containsEntry("value", "/etc/dra-node-agent/tls/tls.crt");
    assertThat(chart.env("DRA_AGENT_SECURITY_TLS_PRIVATE_KEY_FILE"))
        .containsEntry("value", "/etc/dra-node-agent/tls/tls.key");
  }

  @Test
  void audiencesAreHandedOn() {
    RenderedChart chart =
        render("security.audiences[0]", "dra-node-agent", "security.audiences[1]", "other");

    assertThat(chart.env("DRA_AGENT_SECURITY_AUDIENCES"))
        .containsEntry("value", "dra-node-agent,other");
  }

  @Test
  void prometheusScrapesOverHttpsWithItsToken() {
    Map<String, Object> endpoint =
        map(at(render("serviceMonitor.enabled", "true").one("ServiceMonitor"), "spec.endpoints.0"));

    assertThat(endpoint)
        .containsEntry("scheme", "https")
        .containsEntry("bearerTokenFile", "/var/run/secrets/kubernetes.io/serviceaccount/token")
        .containsEntry("tlsConfig", Map.of("insecureSkipVerify", true));
  }

  /** insecureSkipVerify only where nothing could verify the certificate. */
  @Test
  void withATlsSecretTheScrapeVerifiesAsTold() {
    Map<String, Object> endpoint =
        map(
            at(
                render(
                        "serviceMonitor.enabled", "true",
                        "security.tls.secretName", "agent-tls",
                        "serviceMonitor.tlsConfig.ca.secret.name", "agent-ca",
                        "serviceMonitor.tlsConfig.ca.secret.key", "ca.crt",
                        "serviceMonitor.tlsConfig.serverName", "dra-node-agent")
                    .one("ServiceMonitor"),
                "spec.endpoints.0"));

    assertThat(endpoint.get("tlsConfig"))
        .isEqualTo(
            Map.of(
                "ca",
                Map.of("secret", Map.of("name", "agent-ca", "key", "ca.crt")),
                "serverName",
                "dra-node-agent"));
  }

  @Test
  void modeNoneTakesItAllAway() {
    RenderedChart chart = render("security.mode", "none", "serviceMonitor.enabled", "true");

    assertThat(chart.all("ClusterRole")).hasSize(1);
    assertThat(at(chart.one("ClusterRole"), "rules")).isEqualTo(ChartTestSecurity.BASE_RULES);
    assertThat(chart.env("DRA_AGENT_SECURITY_MODE")).containsEntry("value", "none");
    assertThat(map(at(chart.agentContainer(), "livenessProbe.httpGet")))
        .doesNotContainKey("scheme");
    assertThat(map(at(chart.one("ServiceMonitor"), "spec.endpoints.0")))
        .doesNotContainKeys("scheme", "bearerTokenFile", "tlsConfig");
  }

  @Test
  void theNetworkPolicyIsOffByDefault() {
    assertThat(render().has("NetworkPolicy")).isFalse();
  }

  @Test
  void theNetworkPolicyLetsOnlyTheGivenPeersReachTheAgentsPorts() {
    RenderedChart chart =
        render(
            "networkPolicy.enabled", "true",
            "networkPolicy.from[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name",
                "monitoring");

    Map<String, Object> spec = map(at(chart.one("NetworkPolicy"), "spec"));

    assertThat(at(spec, "podSelector.matchLabels"))
        .isEqualTo(at(chart.one("DaemonSet"), "spec.selector.matchLabels"));
    assertThat(spec.get("policyTypes")).isEqualTo(List.of("Ingress"));
    assertThat(at(spec, "ingress.0.from"))
        .isEqualTo(
            List.of(
                Map.of(
                    "namespaceSelector",
                    Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", "monitoring")))));
    assertThat(list(at(spec, "ingress.0.ports")))
        .map(p -> map(p).get("port"))
        .containsExactly("http", "grpc");
    assertThat(
            list(
                at(
                    render(
                            "networkPolicy.enabled", "true",
                            "networkPolicy.from[0].podSelector.matchLabels.app", "prometheus",
                            "ports.management", "8081")
                        .one("NetworkPolicy"),
                    "spec.ingress.0.ports")))
        .as("with ports.management set")
        .map(p -> map(p).get("port"))
        .containsExactly("http", "management", "grpc");
  }

  @Test
  void aNetworkPolicyWithoutPeersIsRefused() {
    assertThatThrownBy(
            () ->
                RenderedChart.template(RenderedChart.NAMESPACE, "networkPolicy.enabled", "true")
                    .call())
        .hasMessageContaining("networkPolicy.enabled=true needs networkPolicy.from");
  }

  @Test
  void theSchemaKnowsTheModes() {
    assertThatThrownBy(
            () -> RenderedChart.template(RenderedChart.NAMESPACE, "security.mode", "open").call())
        .hasMessageContaining("at '/security/mode'");
  }

  @Test
  void theNotesShowHowToReadANodeWithAToken() {
    String notes = notes();

    assertThat(notes)
        .contains("create serviceaccount dra-reader")
        .contains("--clusterrole=" + RenderedChart.RELEASE + "-dra-node-agent-reader")
        .contains("TOKEN=$(kubectl -n dra-system create token dra-reader)")
        .contains(
            "curl -sk -H \"Authorization: Bearer $TOKEN\" https://localhost:8080/api/v1/plugins")
        .contains("self-signed");
    assertThat(notes("security.mode", "none")).contains("WARNING: security.mode=none");
  }

  /**
   * The rendered NOTES.txt: a client-only dry-run install, which renders it as helm install does.
   */
  static String notes(String... keysAndValues) {
    var install =
        new Helm(RenderedChart.CHART)
            .install()
            .withName(RenderedChart.RELEASE)
            .withNamespace(RenderedChart.NAMESPACE)
            .withKubeVersion(RenderedChart.KUBE_VERSION)
            .clientOnly()
            .dryRun();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      install = install.set(keysAndValues[i], keysAndValues[i + 1]);
    }
    return install.call().getOutput();
  }

  static List<String> inspectionMethods() throws IOException {
    Matcher rpc =
        Pattern.compile("\\brpc\\s+(\\w+)\\s*\\(").matcher(Files.readString(INSPECTION_PROTO));
    List<String> methods = new ArrayList<>();
    while (rpc.find()) {
      methods.add(rpc.group(1));
    }
    return methods;
  }
}
