package io.dranode.agent.chart;

import static io.dranode.agent.chart.RenderedChart.at;
import static io.dranode.agent.chart.RenderedChart.render;
import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.chart.CelPolicy.Outcome;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chart's admission policy, evaluated by a real CEL engine ({@link CelPolicy}) on a table of
 * requests as the API server would send them. With {@code failurePolicy: Fail}, a CEL mistake would
 * block every write of every agent in a cluster; the render checks cannot see one.
 *
 * <p>To cover a new resource, add its rule to the policy and its rows to {@link #table()}: a row is
 * a request, the object (and old object), and what the policy must do with it. {@link
 * #everyValidationRefusesSomeRowOfTheTable()} makes sure a new validation comes with a row that
 * shows it refusing.
 */
@Tag("chart")
class AdmissionPolicyCelTest {

  private static final String OWN = "node-a";
  private static final String OTHER = "node-b";
  private static final String NODE_NAME_CLAIM = "authentication.kubernetes.io/node-name";

  private static CelPolicy policy;
  private static String agentUser;

  @BeforeAll
  static void loadPolicy() {
    RenderedChart chart = render();
    policy = new CelPolicy(chart.one("ValidatingAdmissionPolicy"));
    agentUser =
        "system:serviceaccount:"
            + RenderedChart.NAMESPACE
            + ":"
            + at(chart.daemonSetPod(), "serviceAccountName");
  }

  /** What the policy must do with a row's request. */
  private sealed interface Expect {
    record Allowed() implements Expect {}

    record Denied(String messagePart) implements Expect {}

    record NotChecked() implements Expect {}
  }

  private record Row(
      String name,
      Map<String, Object> request,
      @Nullable Map<String, Object> object,
      @Nullable Map<String, Object> oldObject,
      Expect expect) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Row> table() {
    Map<String, Object> agent = agentOn(OWN);
    Map<String, Object> noClaim =
        user(agentUser, Map.of("authentication.kubernetes.io/pod-name", List.of("agent-x")));
    Map<String, Object> noExtra = user(agentUser, null);
    Map<String, Object> kubelet = user("system:node:" + OTHER, null);
    Map<String, Object> otherAccount =
        user(
            "system:serviceaccount:" + RenderedChart.NAMESPACE + ":someone-else",
            Map.of(NODE_NAME_CLAIM, List.of(OTHER)));
    return Stream.of(
        // ResourceSlices
        row("own slice, delete", slices("v1", "DELETE", agent), null, slice(OWN), allowed()),
        row("own slice, create", slices("v1", "CREATE", agent), slice(OWN), null, allowed()),
        row(
            "own slice, update through v1beta1",
            slices("v1beta1", "UPDATE", agent),
            slice(OWN),
            slice(OWN),
            allowed()),
        row(
            "another node's slice, delete",
            slices("v1", "DELETE", agent),
            null,
            slice(OTHER),
            denied("may only change ResourceSlices of its own node, not those of node " + OTHER)),
        row(
            "own slice moved to another node",
            slices("v1beta2", "UPDATE", agent),
            slice(OTHER),
            slice(OWN),
            denied("not those of node " + OTHER)),
        row(
            "slice without a node name (all nodes), delete",
            slices("v1", "DELETE", agent),
            null,
            slice(null),
            denied("not slices without a node name")),
        row(
            "token without the node-name claim",
            slices("v1", "DELETE", noClaim),
            null,
            slice(OWN),
            denied("has no node name in its token")),
        row(
            "token without any extra",
            slices("v1", "DELETE", noExtra),
            null,
            slice(OWN),
            denied("has no node name in its token")),
        row("the kubelet", slices("v1", "DELETE", kubelet), null, slice(OWN), notChecked()),
        row(
            "another ServiceAccount",
            slices("v1", "DELETE", otherAccount),
            null,
            slice(OWN),
            notChecked()),
        // DRANodes
        row(
            "own DRANode, create",
            draNodes("CREATE", "", OWN, agent),
            draNode(OWN),
            null,
            allowed()),
        row(
            "own DRANode, status apply",
            draNodes("UPDATE", "status", OWN, agent),
            draNode(OWN),
            draNode(OWN),
            allowed()),
        row(
            "another node's DRANode, status apply",
            draNodes("UPDATE", "status", OTHER, agent),
            draNode(OTHER),
            draNode(OTHER),
            denied("may only write the DRANode named after its node, not " + OTHER)),
        row(
            "another node's DRANode, create",
            draNodes("CREATE", "", OTHER, agent),
            draNode(OTHER),
            null,
            denied("not " + OTHER)),
        row(
            "another node's DRANode, delete",
            draNodes("DELETE", "", OTHER, agent),
            null,
            draNode(OTHER),
            denied("not " + OTHER)),
        row(
            "DRANode with a token without the node-name claim",
            draNodes("UPDATE", "status", OWN, noClaim),
            draNode(OWN),
            draNode(OWN),
            denied("has no node name in its token")),
        row(
            "another user's DRANode write",
            draNodes("UPDATE", "status", OWN, kubelet),
            draNode(OWN),
            draNode(OWN),
            notChecked()),
        // Events
        row(
            "Event about the own Node, create",
            events("CREATE", "default", agent),
            event("default", "Node", OWN),
            null,
            allowed()),
        row(
            "Event about the own Node, patch of its count",
            events("UPDATE", "default", agent),
            event("default", "Node", OWN),
            event("default", "Node", OWN),
            allowed()),
        row(
            "Event about another Node",
            events("CREATE", "default", agent),
            event("default", "Node", OTHER),
            null,
            denied("may only write Events about its own Node, not about Node " + OTHER)),
        row(
            "Event about a Pod named like the node",
            events("CREATE", "default", agent),
            event("default", "Pod", OWN),
            null,
            denied("not about Pod " + OWN)),
        row(
            "Event about the own Node outside default",
            events("CREATE", "kube-system", agent),
            event("kube-system", "Node", OWN),
            null,
            denied("only write Events in namespace default, not in kube-system")),
        row(
            "Event with a token without the node-name claim",
            events("CREATE", "default", noClaim),
            event("default", "Node", OWN),
            null,
            denied("has no node name in its token")),
        row(
            "another user's Event",
            events("CREATE", "default", otherAccount),
            event("default", "Node", OWN),
            null,
            notChecked()),
        // Outside the policy
        row(
            "a ConfigMap",
            request("", "v1", "configmaps", "", "CREATE", "x", "default", agent),
            Map.of("kind", "ConfigMap", "metadata", Map.of("name", "x")),
            null,
            notChecked()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void policyDoesWhatItIntends(Row row) {
    Outcome outcome = policy.evaluate(row.request(), row.object(), row.oldObject());

    if (row.expect() instanceof Expect.Denied d) {
      assertThat(outcome).isInstanceOf(Outcome.Denied.class);
      Outcome.Denied denied = (Outcome.Denied) outcome;
      assertThat(denied.validation())
          .as("refused by a validation, not by an error: %s", denied)
          .isNotNegative();
      assertThat(denied.reason()).isEqualTo("Forbidden");
      assertThat(denied.message().replaceAll("\\s+", " ")).contains(d.messagePart());
    } else if (row.expect() instanceof Expect.NotChecked) {
      assertThat(outcome).isInstanceOf(Outcome.NotChecked.class);
    } else {
      assertThat(outcome).isEqualTo(new Outcome.Allowed());
    }
  }

  @Test
  void everyValidationRefusesSomeRowOfTheTable() {
    Set<Integer> refusing = new TreeSet<>();
    table()
        .map(row -> policy.evaluate(row.request(), row.object(), row.oldObject()))
        .forEach(
            outcome -> {
              if (outcome instanceof Outcome.Denied denied) {
                refusing.add(denied.validation());
              }
            });

    Set<Integer> all = new TreeSet<>();
    for (int i = 0; i < policy.validationCount(); i++) {
      all.add(i);
    }
    assertThat(refusing).isEqualTo(all);
  }

  /** The account name comes from one helper: renamed, the policy still checks the agent. */
  @Test
  void aRenamedServiceAccountIsStillChecked() {
    RenderedChart chart = render("serviceAccount.name", "custom-sa");
    CelPolicy renamed = new CelPolicy(chart.one("ValidatingAdmissionPolicy"));
    Map<String, Object> custom =
        user(
            "system:serviceaccount:" + RenderedChart.NAMESPACE + ":custom-sa",
            Map.of(NODE_NAME_CLAIM, List.of(OWN)));

    assertThat(renamed.evaluate(slices("v1", "DELETE", custom), null, slice(OTHER)))
        .isInstanceOf(Outcome.Denied.class);
    assertThat(renamed.evaluate(slices("v1", "DELETE", custom), null, slice(OWN)))
        .isEqualTo(new Outcome.Allowed());
  }

  private static Row row(
      String name,
      Map<String, Object> request,
      @Nullable Map<String, Object> object,
      @Nullable Map<String, Object> oldObject,
      Expect expect) {
    return new Row(name, request, object, oldObject, expect);
  }

  private static Expect allowed() {
    return new Expect.Allowed();
  }

  private static Expect denied(String messagePart) {
    return new Expect.Denied(messagePart);
  }

  private static Expect notChecked() {
    return new Expect.NotChecked();
  }

  private static Map<String, Object> agentOn(String node) {
    return user(
        agentUser,
        Map.of(
            NODE_NAME_CLAIM,
            List.of(node),
            "authentication.kubernetes.io/pod-name",
            List.of("agent-x")));
  }

  /** userInfo as the API server fills it; {@code extra} is absent when the token has none. */
  private static Map<String, Object> user(
      String username, @Nullable Map<String, List<String>> extra) {
    Map<String, Object> user = new LinkedHashMap<>();
    user.put("username", username);
    user.put("uid", "uid-" + username.hashCode());
    user.put("groups", List.of("system:authenticated"));
    if (extra != null) {
      user.put("extra", extra);
    }
    return user;
  }

  private static Map<String, Object> slices(
      String version, String operation, Map<String, Object> user) {
    return request(
        "resource.k8s.io", version, "resourceslices", "", operation, "slice-1", "", user);
  }

  private static Map<String, Object> draNodes(
      String operation, String subResource, String name, Map<String, Object> user) {
    return request(
        "dra.dranode.io", "v1alpha1", "dranodes", subResource, operation, name, "", user);
  }

  private static Map<String, Object> events(
      String operation, String namespace, Map<String, Object> user) {
    return request("", "v1", "events", "", operation, "node-a.1", namespace, user);
  }

  /** The fields of an AdmissionRequest that policies read. */
  private static Map<String, Object> request(
      String group,
      String version,
      String resource,
      String subResource,
      String operation,
      String name,
      String namespace,
      Map<String, Object> user) {
    Map<String, Object> request = new HashMap<>();
    request.put("resource", Map.of("group", group, "version", version, "resource", resource));
    request.put("subResource", subResource);
    request.put("operation", operation);
    request.put("name", name);
    request.put("namespace", namespace);
    request.put("userInfo", user);
    request.put("dryRun", false);
    return request;
  }

  private static Map<String, Object> slice(@Nullable String nodeName) {
    Map<String, Object> spec = new HashMap<>();
    spec.put("driver", "gpu.example.com");
    spec.put("pool", Map.of("name", "pool", "generation", 1L, "resourceSliceCount", 1L));
    if (nodeName == null) {
      spec.put("allNodes", true);
    } else {
      spec.put("nodeName", nodeName);
    }
    return Map.of(
        "apiVersion",
        "resource.k8s.io/v1",
        "kind",
        "ResourceSlice",
        "metadata",
        Map.of("name", "slice-1"),
        "spec",
        spec);
  }

  private static Map<String, Object> draNode(String name) {
    return Map.of(
        "apiVersion",
        "dra.dranode.io/v1alpha1",
        "kind",
        "DRANode",
        "metadata",
        Map.of("name", name),
        "status",
        Map.of("drivers", List.of()));
  }

  private static Map<String, Object> event(String namespace, String kind, String name) {
    return Map.of(
        "apiVersion",
        "v1",
        "kind",
        "Event",
        "metadata",
        Map.of("name", name + ".1", "namespace", namespace),
        "involvedObject",
        Map.of("apiVersion", "v1", "kind", kind, "name", name),
        "reason",
        "DRAPluginRegistered",
        "count",
        1L);
  }
}
