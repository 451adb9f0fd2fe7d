package io.dranode.agent.chart;

import static io.dranode.agent.chart.RenderedChart.at;
import static io.dranode.agent.chart.RenderedChart.list;
import static io.dranode.agent.chart.RenderedChart.map;
import static io.dranode.agent.chart.RenderedChart.pairs;
import static io.dranode.agent.chart.RenderedChart.render;
import static io.dranode.agent.chart.RenderedChart.renderIn;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Who the agent is and what it may do: security contexts, RBAC, and the admission policy. */
@Tag("chart")
class ChartTestSecurity {

  /**
   * The lesson of a real DRA chart whose policy named one ServiceAccount while its pods ran as
   * another: the restriction then applies to nobody, and nothing fails. Checked under every way of
   * naming the account.
   */
  @ParameterizedTest(name = "namespace {0}, values [{1}]")
  @CsvSource(
      delimiter = '|',
      value = {
        "dra-system | ''",
        "dra-system | serviceAccount.name=custom-sa",
        "gpu-agents | fullnameOverride=node-agent",
        "dra-system | nameOverride=renamed",
        "kube-dra   | serviceAccount.create=false,serviceAccount.name=pre-existing"
      })
  void policyMatchesExactlyTheAccountTheDaemonSetRunsAs(String namespace, String valueSet) {
    RenderedChart chart = renderIn(namespace, pairs(valueSet));
    Object serviceAccount = at(chart.daemonSetPod(), "serviceAccountName");

    String condition =
        (String) at(chart.one("ValidatingAdmissionPolicy"), "spec.matchConditions.0.expression");
    assertThat(condition.strip())
        .isEqualTo(
            "request.userInfo.username == 'system:serviceaccount:%s:%s'"
                .formatted(namespace, serviceAccount));
    Map<String, Object> subject = map(at(chart.one("ClusterRoleBinding"), "subjects.0"));
    assertThat(subject)
        .containsEntry("kind", "ServiceAccount")
        .containsEntry("name", serviceAccount)
        .containsEntry("namespace", namespace);
    if (chart.has("ServiceAccount")) {
      assertThat(at(chart.one("ServiceAccount"), "metadata.name")).isEqualTo(serviceAccount);
    }
    if (valueSet.contains("serviceAccount.name=")) {
      assertThat(serviceAccount).isEqualTo(valueSet.replaceAll(".*serviceAccount\\.name=", ""));
    }
  }

  @Test
  void policyCoversEveryServedVersionAndEveryWrite() {
    RenderedChart chart = render();
    Map<String, Object> policy = map(at(chart.one("ValidatingAdmissionPolicy"), "spec"));

    assertThat(policy).containsEntry("failurePolicy", "Fail");
    assertThat(at(policy, "matchConstraints.resourceRules"))
        .isEqualTo(
            List.of(
                Map.of(
                    "apiGroups", List.of("resource.k8s.io"),
                    "apiVersions", List.of("v1beta1", "v1beta2", "v1"),
                    "operations", List.of("CREATE", "UPDATE", "DELETE"),
                    "resources", List.of("resourceslices")),
                Map.of(
                    "apiGroups", List.of("dra.dranode.io"),
                    "apiVersions", List.of("*"),
                    "operations", List.of("CREATE", "UPDATE", "DELETE"),
                    "resources", List.of("dranodes", "dranodes/status")),
                Map.of(
                    "apiGroups", List.of(""),
                    "apiVersions", List.of("v1"),
                    "operations", List.of("CREATE", "UPDATE", "DELETE"),
                    "resources", List.of("events"))));
  }

  /**
   * What the expressions do is AdmissionPolicyCelTest's; here, that the node comes from the token.
   */
  @Test
  void policyComparesTheTokensNodeWithTheObjectsNode() {
    Map<String, Object> policy = map(at(render().one("ValidatingAdmissionPolicy"), "spec"));

    assertThat(list(at(policy, "variables")))
        .map(v -> map(v).get("name"))
        .containsExactly("userNodeName", "target", "objectNodeName");
    assertThat(((String) at(policy, "variables.0.expression")).strip())
        .isEqualTo(
            "request.userInfo.?extra[?'authentication.kubernetes.io/node-name'][0].orValue('')");
    assertThat(list(at(policy, "validations")))
        .map(v -> map(v).get("expression"))
        .first()
        .isEqualTo("variables.userNodeName != ''");
    assertThat(list(at(policy, "validations")))
        .map(v -> map(v).get("expression"))
        .last()
        .isEqualTo("variables.userNodeName == variables.objectNodeName");
    assertThat((String) at(policy, "validations.0.message"))
        .contains("ServiceAccountTokenPodNodeInfo");
  }

  @Test
  void bindingEnforcesThePolicy() {
    RenderedChart chart = render();
    Map<String, Object> binding = chart.one("ValidatingAdmissionPolicyBinding");

    assertThat(at(binding, "spec.policyName"))
        .isEqualTo(at(chart.one("ValidatingAdmissionPolicy"), "metadata.name"));
    assertThat(at(binding, "spec.validationActions")).isEqualTo(List.of("Deny"));
    assertThat(at(binding, "apiVersion")).isEqualTo("admissionregistration.k8s.io/v1");
  }

  @Test
  void policyCanBeSwitchedOff() {
    RenderedChart chart = render("admissionPolicy.enabled", "false");

    assertThat(chart.has("ValidatingAdmissionPolicy")).isFalse();
    assertThat(chart.has("ValidatingAdmissionPolicyBinding")).isFalse();
  }

  @Test
  void clusterRoleGrantsExactlyWhatTheAgentUses() {
    RenderedChart chart = render("security.mode", "none");

    assertThat(chart.all("ClusterRole")).hasSize(1);
    assertThat(at(chart.one("ClusterRole"), "rules")).isEqualTo(BASE_RULES);
    assertThat(at(chart.one("ClusterRoleBinding"), "roleRef.name"))
        .isEqualTo(at(chart.one("ClusterRole"), "metadata.name"));
  }

  /** Without the cluster view, no dranodes grant, and the agent is told not to write one. */
  @Test
  void clusterViewCanBeSwitchedOff() {
    RenderedChart chart = render("clusterView.enabled", "false");

    assertThat(list(at(chart.named("ClusterRole", chart.fullname()), "rules")))
        .map(r -> map(r).get("apiGroups"))
        .doesNotContain(List.of("dra.dranode.io"));
    assertThat(chart.env("DRA_AGENT_CLUSTER_VIEW_ENABLED")).containsEntry("value", "false");
    assertThat(render().env("DRA_AGENT_CLUSTER_VIEW_ENABLED")).containsEntry("value", "true");
  }

  /**
   * The agent's own rules with the default cluster view; security.mode kubernetes adds the reviews
   * (ChartTestAuth).
   */
  static final List<Map<String, Object>> BASE_RULES =
      List.of(
          Map.of(
              "apiGroups", List.of("resource.k8s.io"),
              "resources", List.of("resourceslices"),
              "verbs", List.of("get", "list", "watch", "delete")),
          Map.of("apiGroups", List.of(""), "resources", List.of("nodes"), "verbs", List.of("get")),
          Map.of(
              "apiGroups", List.of("dra.dranode.io"),
              "resources", List.of("dranodes"),
              "verbs", List.of("get", "create", "patch")),
          Map.of(
              "apiGroups", List.of("dra.dranode.io"),
              "resources", List.of("dranodes/status"),
              "verbs", List.of("get", "patch", "update")));

  /** Quarantine adds the four verbs it uses on DeviceTaintRules, and only when it is on. */
  @Test
  void quarantineMayWriteDeviceTaintRulesOnlyWhenEnabled() {
    Map<String, Object> devicetaintrules =
        Map.of(
            "apiGroups", List.of("resource.k8s.io"),
            "resources", List.of("devicetaintrules"),
            "verbs", List.of("create", "delete", "get", "list"));

    RenderedChart quarantining = render("quarantine.enabled", "true");
    assertThat(list(at(quarantining.named("ClusterRole", quarantining.fullname()), "rules")))
        .contains(devicetaintrules);
    RenderedChart chart = render();
    assertThat(list(at(chart.named("ClusterRole", chart.fullname()), "rules")))
        .noneMatch(rule -> String.valueOf(rule).contains("devicetaintrules"));
  }

  /** Events about the Node live in "default": a Role there, with the two verbs the agent uses. */
  @Test
  void eventsAreWrittenWithARoleInTheDefaultNamespaceOnly() {
    RenderedChart chart = render();

    Map<String, Object> role = chart.one("Role");
    assertThat(at(role, "metadata.namespace")).isEqualTo("default");
    assertThat(at(role, "rules"))
        .isEqualTo(
            List.of(
                Map.of(
                    "apiGroups", List.of(""),
                    "resources", List.of("events"),
                    "verbs", List.of("create", "patch"))));
    Map<String, Object> binding = chart.one("RoleBinding");
    assertThat(at(binding, "metadata.namespace")).isEqualTo("default");
    assertThat(at(binding, "roleRef.name")).isEqualTo(at(role, "metadata.name"));
    assertThat(at(binding, "subjects"))
        .isEqualTo(
            List.of(
                Map.of(
                    "kind",
                    "ServiceAccount",
                    "name",
                    at(chart.daemonSetPod(), "serviceAccountName"),
                    "namespace",
                    RenderedChart.NAMESPACE)));
    assertThat(render("agent.events.enabled", "false").has("Role")).isFalse();
  }

  @Test
  void rootWithoutPrivilegesOrCapabilities() {
    RenderedChart chart = render();

    assertThat(at(chart.daemonSetPod(), "securityContext"))
        .isEqualTo(Map.of("runAsUser", 0, "runAsGroup", 0, "runAsNonRoot", false));
    assertThat(at(chart.agentContainer(), "securityContext"))
        .isEqualTo(
            Map.of(
                "privileged", false,
                "allowPrivilegeEscalation", false,
                "capabilities", Map.of("drop", List.of("ALL")),
                "readOnlyRootFilesystem", true,
                "seccompProfile", Map.of("type", "RuntimeDefault")));
    assertThat(at(chart.daemonSetPod(), "automountServiceAccountToken")).isEqualTo(true);
  }

  @Test
  void onlyTmpIsWritable() {
    RenderedChart chart = render();

    assertThat(list(at(chart.agentContainer(), "volumeMounts")))
        .map(RenderedChart::map)
        .filteredOn(m -> !"/tmp".equals(m.get("mountPath")))
        .hasSize(2)
        .allSatisfy(m -> assertThat(m).containsEntry("readOnly", true));
    assertThat(list(at(chart.daemonSetPod(), "volumes")))
        .filteredOn(v -> "tmp".equals(map(v).get("name")))
        .singleElement()
        .satisfies(v -> assertThat(map(v)).containsKey("emptyDir"));
  }
}
