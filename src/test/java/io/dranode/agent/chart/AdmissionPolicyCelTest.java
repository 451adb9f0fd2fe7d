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

  private static final String TAINT_KEY = "dra.dranode.io/driver-unusable";
  private static final String RULE = OWN + "-gpu-example-com-" + OWN + "-0123456789";

  /** With the quarantine on, the policy covers DeviceTaintRules too: the table's superset. */
  private static CelPolicy policy;

  private static CelPolicy withoutQuarantine;
  private static String agentUser;

  @BeforeAll
  static void loadPolicy() {
    RenderedChart chart = render("quarantine.enabled", "true");
    policy = new CelPolicy(chart.one("ValidatingAdmissionPolicy"));
    withoutQuarantine = new CelPolicy(render().one("ValidatingAdmissionPolicy"));
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
        // DeviceTaintRules (the quarantine)
        row("own rule, create", taintRules("v1", "CREATE", RULE, agent), rule(), null, allowed()),
        row("own rule, delete", taintRules("v1", "DELETE", RULE, agent), null, rule(), allowed()),
        row(
            "own rule, create through v1beta2",
            taintRules("v1beta2", "CREATE", RULE, agent),
            rule(),
            null,
            allowed()),
        row(
            "another node's rule, delete",
            taintRules("v1", "DELETE", OTHER + "-gpu-x", agent),
            null,
            rule(OTHER + "-gpu-x", OTHER, TAINT_KEY, "NoSchedule", "gpu.example.com", OTHER),
            denied("not those of node " + OTHER)),
        row(
            "own-named rule labelled for another node, create through v1alpha3",
            taintRules("v1alpha3", "CREATE", RULE, agent),
            rule(RULE, OTHER, TAINT_KEY, "NoSchedule", "gpu.example.com", OWN),
            null,
            denied("labelled dra.dranode.io/node=" + OWN + ", not those of node " + OTHER)),
        row(
            "rule without the node label",
            taintRules("v1", "CREATE", RULE, agent),
            rule(RULE, null, TAINT_KEY, "NoSchedule", "gpu.example.com", OWN),
            null,
            denied("not rules without that label")),
        row(
            "rule named for a node whose name extends the own one",
            taintRules("v1", "CREATE", OWN + "b-gpu-x", agent),
            rule(OWN + "b-gpu-x", OWN, TAINT_KEY, "NoSchedule", "gpu.example.com", OWN),
            null,
            denied("whose name starts with " + OWN + "-, not " + OWN + "b-gpu-x")),
        row(
            "own rule, update",
            taintRules("v1", "UPDATE", RULE, agent),
            rule(),
            rule(),
            denied("never changes one")),
        row(
            "NoExecute taint",
            taintRules("v1", "CREATE", RULE, agent),
            rule(RULE, OWN, TAINT_KEY, "NoExecute", "gpu.example.com", OWN),
            null,
            denied("not " + TAINT_KEY + " with effect NoExecute")),
        row(
            "another taint key",
            taintRules("v1", "CREATE", RULE, agent),
            rule(RULE, OWN, "example.com/other", "NoSchedule", "gpu.example.com", OWN),
            null,
            denied("not example.com/other with effect NoSchedule")),
        row(
            "a pool not named like the node",
            taintRules("v1", "CREATE", RULE, agent),
            rule(RULE, OWN, TAINT_KEY, "NoSchedule", "gpu.example.com", "shared-pool"),
            null,
            denied(
                "in the pool named like its node, not driver \"gpu.example.com\" pool \"shared-pool\"")),
        row(
            "no driver in the selector",
            taintRules("v1", "CREATE", RULE, agent),
            rule(RULE, OWN, TAINT_KEY, "NoSchedule", null, OWN),
            null,
            denied("not driver \"\" pool \"" + OWN + "\"")),
        row(
            "rule with a token without the node-name claim",
            taintRules("v1", "CREATE", RULE, noClaim),
            rule(),
            null,
            denied("has no node name in its token")),
        row(
            "another user's rule",
            taintRules("v1", "CREATE", RULE, otherAccount),
            rule(),
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

  /**
   * Without the quarantine the policy leaves DeviceTaintRules alone (RBAC grants the agent none)
   * and does the same as with it for everything else.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void withoutTheQuarantineOnlyDeviceTaintRulesAreLeftOut(Row row) {
    Outcome with = policy.evaluate(row.request(), row.object(), row.oldObject());
    Outcome without = withoutQuarantine.evaluate(row.request(), row.object(), row.oldObject());

    if (resource(row).equals("devicetaintrules")) {
      assertThat(without).isInstanceOf(Outcome.NotChecked.class);
    } else if (with instanceof Outcome.Denied denied) {
      assertThat(without).isInstanceOf(Outcome.Denied.class);
      assertThat(((Outcome.Denied) without).message()).isEqualTo(denied.message());
    } else {
      assertThat(without.getClass()).isEqualTo(with.getClass());
    }
  }

  /** pools=any: any pool name, still one driver, the own taint, NoSchedule, the own node. */
  @Test
  void withPoolsAnyOnlyThePoolIsFree() {
    CelPolicy any =
        new CelPolicy(
            render("quarantine.enabled", "true", "quarantine.pools", "any")
                .one("ValidatingAdmissionPolicy"));
    Map<String, Object> create = taintRules("v1", "CREATE", RULE, agentOn(OWN));

    assertThat(
            any.evaluate(
                create,
                rule(RULE, OWN, TAINT_KEY, "NoSchedule", "gpu.example.com", "shared"),
                null))
        .isEqualTo(new Outcome.Allowed());
    assertThat(
            any.evaluate(
                create, rule(RULE, OWN, TAINT_KEY, "NoSchedule", "gpu.example.com", null), null))
        .isInstanceOf(Outcome.Denied.class);
    assertThat(
            any.evaluate(
                create, rule(RULE, OWN, TAINT_KEY, "NoExecute", "gpu.example.com", "shared"), null))
        .isInstanceOf(Outcome.Denied.class);
    assertThat(
            any.evaluate(
                create,
                rule(RULE, OTHER, TAINT_KEY, "NoSchedule", "gpu.example.com", "shared"),
                null))
        .isInstanceOf(Outcome.Denied.class);
  }

  @SuppressWarnings("unchecked")
  private static String resource(Row row) {
    return String.valueOf(((Map<String, Object>) row.request().get("resource")).get("resource"));
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

  private static Map<String, Object> taintRules(
      String version, String operation, String name, Map<String, Object> user) {
    return request("resource.k8s.io", version, "devicetaintrules", "", operation, name, "", user);
  }

  /** The rule the agent makes on its own node. */
  private static Map<String, Object> rule() {
    return rule(RULE, OWN, TAINT_KEY, "NoSchedule", "gpu.example.com", OWN);
  }

  private static Map<String, Object> rule(
      String name,
      @Nullable String nodeLabel,
      String key,
      String effect,
      @Nullable String driver,
      @Nullable String pool) {
    Map<String, Object> metadata = new HashMap<>();
    metadata.put("name", name);
    if (nodeLabel != null) {
      metadata.put("labels", Map.of("dra.dranode.io/node", nodeLabel));
    }
    Map<String, Object> selector = new HashMap<>();
    if (driver != null) {
      selector.put("driver", driver);
    }
    if (pool != null) {
      selector.put("pool", pool);
    }
    return Map.of(
        "apiVersion",
        "resource.k8s.io/v1",
        "kind",
        "DeviceTaintRule",
        "metadata",
        metadata,
        "spec",
        Map.of(
            "deviceSelector",
            selector,
            "taint",
            Map.of("key", key, "value", "gpu.example.com", "effect", effect)));
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
