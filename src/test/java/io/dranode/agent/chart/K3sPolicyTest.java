package io.dranode.agent.chart;

import static io.dranode.agent.chart.RenderedChart.NAMESPACE;
import static io.dranode.agent.chart.RenderedChart.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.clusterview.DRANode;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceList;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The chart's RBAC and admission policy against a real API server (k3s): the agent's ServiceAccount
 * may delete its own node's ResourceSlices, write its own node's DRANode and Events about its own
 * Node, and nothing else; with the quarantine, create its own node's DeviceTaintRules where the API
 * server serves them. Skipped where there is no Docker engine.
 *
 * <p>The agent's identity is produced by impersonation: the ServiceAccount's user name plus the
 * {@code authentication.kubernetes.io/node-name} extra that the API server puts into a pod-bound
 * token. That is exactly what the policy sees from a real pod, without building an image and
 * scheduling it.
 */
@Testcontainers(disabledWithoutDocker = true)
@Tag("k3s")
class K3sPolicyTest {

  /** 1.34 or later: resource.k8s.io/v1 is served and enabled by default. */
  @Container
  private static final K3sContainer K3S =
      new K3sContainer(DockerImageName.parse("rancher/k3s:v1.34.1-k3s1"));

  /** These reach the API server; the DaemonSet and Service need an image, and are not needed. */
  private static final Set<String> APPLIED_KINDS =
      Set.of(
          "ServiceAccount",
          "ClusterRole",
          "ClusterRoleBinding",
          "Role",
          "RoleBinding",
          "ValidatingAdmissionPolicy",
          "ValidatingAdmissionPolicyBinding");

  private static final Path CRD =
      Path.of("charts/dra-node-agent/crds/dranodes.dra.dranode.io.yaml");

  /** Header-safe spelling: the API server percent-decodes impersonated extra keys. */
  private static final String NODE_NAME_EXTRA = "authentication.kubernetes.io%2Fnode-name";

  private static final String OWN_NODE = "node-a";
  private static final String OTHER_NODE = "node-b";

  private static @Nullable KubernetesClient admin;
  private static String agentUser = "";

  @BeforeAll
  static void installTheChartsAccessControl() {
    KubernetesClient cluster = client(null, null);
    admin = cluster;
    cluster
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    RenderedChart chart = RenderedChart.render("quarantine.enabled", "true");
    try (InputStream crd = Files.newInputStream(CRD)) {
      CustomResourceDefinition definition =
          cluster.apiextensions().v1().customResourceDefinitions().load(crd).item();
      cluster.resource(definition).create();
      cluster
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(definition.getMetadata().getName())
          .waitUntilCondition(K3sPolicyTest::established, 60, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    agentUser =
        "system:serviceaccount:%s:%s"
            .formatted(NAMESPACE, at(chart.daemonSetPod(), "serviceAccountName"));
    List<HasMetadata> objects =
        cluster
            .load(new ByteArrayInputStream(chart.yaml().getBytes(StandardCharsets.UTF_8)))
            .items();
    objects.stream()
        .filter(o -> APPLIED_KINDS.contains(o.getKind()))
        .forEach(o -> cluster.resource(o).create());

    // The policy takes effect when the API server's admission plugin has loaded it; a dry-run
    // delete shows when, without deleting anything.
    String probe = createSlice(OTHER_NODE);
    try (KubernetesClient agent = client(agentUser, OWN_NODE)) {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () ->
                  assertThatThrownBy(() -> slices(agent).withName(probe).dryRun().delete())
                      .isInstanceOf(KubernetesClientException.class)
                      .hasMessageContaining("may only change ResourceSlices of its own node"));
    }
  }

  @AfterAll
  static void closeClient() {
    if (admin != null) {
      admin.close();
    }
  }

  @Test
  void deletingItsOwnNodesSliceIsAllowed() {
    String own = createSlice(OWN_NODE);

    try (KubernetesClient agent = client(agentUser, OWN_NODE)) {
      slices(agent).withName(own).delete();
    }

    assertThat(slices(adminClient()).withName(own).get()).isNull();
  }

  @Test
  void deletingAnotherNodesSliceIsDenied() {
    String other = createSlice(OTHER_NODE);

    try (KubernetesClient agent = client(agentUser, OWN_NODE)) {
      assertThatThrownBy(() -> slices(agent).withName(other).delete())
          .isInstanceOfSatisfying(
              KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403))
          .hasMessageContaining("not those of node " + OTHER_NODE);
    }

    assertThat(slices(adminClient()).withName(other).get()).isNotNull();
  }

  @Test
  void aCollectionDeleteSelectingAnotherNodeIsDenied() {
    String other = createSlice(OTHER_NODE);

    try (KubernetesClient agent = client(agentUser, OWN_NODE)) {
      assertThatThrownBy(() -> slices(agent).withField("spec.nodeName", OTHER_NODE).delete())
          .isInstanceOf(KubernetesClientException.class)
          .hasMessageContaining("may only change ResourceSlices of its own node");
    }

    assertThat(slices(adminClient()).withName(other).get()).isNotNull();
  }

  @Test
  void aTokenWithoutNodeNameIsDenied() {
    String own = createSlice(OWN_NODE);

    try (KubernetesClient agent = client(agentUser, null)) {
      assertThatThrownBy(() -> slices(agent).withName(own).delete())
          .isInstanceOf(KubernetesClientException.class)
          .hasMessageContaining("ServiceAccountTokenPodNodeInfo");
    }

    assertThat(slices(adminClient()).withName(own).get()).isNotNull();
  }

  @Test
  void rbacGivesNoRightToCreateSlices() {
    try (KubernetesClient agent = client(agentUser, OWN_NODE)) {
      assertThatThrownBy(() -> slices(agent).resource(slice("created-by-agent", OWN_NODE)).create())
          .isInstanceOfSatisfying(
              KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403))
          .hasMessageContaining("cannot create resource \"resourceslices\"");
    }
  }

  @Test
  void itWritesItsOwnNodesDRANodeAndKubectlShowsIt() throws Exception {
    try (KubernetesClient agent = client(agentUser, OWN_NODE)) {
      draNodes(agent).resource(draNode(OWN_NODE)).create();
      draNodes(agent)
          .withName(OWN_NODE)
          .subresource("status")
          .patch(
              PatchContext.of(PatchType.SERVER_SIDE_APPLY),
              """
              {"apiVersion": "dra.dranode.io/v1alpha1", "kind": "DRANode",
               "metadata": {"name": "%s"},
               "status": {"agent": {"mode": "observer", "version": "test"},
                          "summary": {"drivers": 0, "usable": 0, "notReady": 0,
                                      "rejectedSockets": 0, "pendingWipes": 0},
                          "drivers": [], "rejectedSockets": [], "conditions": []}}
              """
                  .formatted(OWN_NODE));
    }

    org.testcontainers.containers.Container.ExecResult listed =
        K3S.execInContainer("kubectl", "get", "dranodes");
    assertThat(listed.getExitCode()).as(listed.getStderr()).isZero();
    assertThat(listed.getStdout())
        .contains("DRIVERS", "USABLE", "NOTREADY", "REJECTED", "PENDINGWIPES", "MODE")
        .contains(OWN_NODE)
        .contains("observer");
  }

  @Test
  void anotherNodesDRANodeIsDenied() {
    try (KubernetesClient agent = client(agentUser, OWN_NODE)) {
      assertThatThrownBy(() -> draNodes(agent).resource(draNode(OTHER_NODE)).create())
          .isInstanceOfSatisfying(
              KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403))
          .hasMessageContaining("may only write the DRANode named after its node");
    }
    assertThat(draNodes(adminClient()).withName(OTHER_NODE).get()).isNull();
  }

  @Test
  void eventsOnlyAboutItsOwnNode() {
    try (KubernetesClient agent = client(agentUser, OWN_NODE)) {
      agent.v1().events().inNamespace("default").resource(event(OWN_NODE)).create();
      assertThatThrownBy(
              () -> agent.v1().events().inNamespace("default").resource(event(OTHER_NODE)).create())
          .isInstanceOfSatisfying(
              KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403))
          .hasMessageContaining("may only write Events about its own Node");
    }
  }

  /**
   * The quarantine's rules, where the API server serves DeviceTaintRules as the agent uses them
   * ({@code resource.k8s.io/v1} or {@code v1beta2}).
   */
  @Test
  void deviceTaintRulesOnlyForItsOwnNode() {
    String version =
        Stream.of("v1", "v1beta2")
            .filter(v -> servesDeviceTaintRules(adminClient(), v))
            .findFirst()
            .orElse(null);
    Assumptions.abort(
        version == null
            ? "k3s v1.34.1 serves DeviceTaintRule only as resource.k8s.io/v1alpha3 behind the"
                + " DRADeviceTaints feature gate, not as v1 or v1beta2, the versions the agent uses"
            : null);
    ResourceDefinitionContext rules =
        new ResourceDefinitionContext.Builder()
            .withGroup("resource.k8s.io")
            .withVersion(version)
            .withKind("DeviceTaintRule")
            .withPlural("devicetaintrules")
            .withNamespaced(false)
            .build();
    try (KubernetesClient agent = client(agentUser, OWN_NODE)) {
      agent.genericKubernetesResources(rules).resource(taintRule(version, OWN_NODE)).create();
      assertThatThrownBy(
              () ->
                  agent
                      .genericKubernetesResources(rules)
                      .resource(taintRule(version, OTHER_NODE))
                      .create())
          .isInstanceOfSatisfying(
              KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
    }
  }

  private static boolean servesDeviceTaintRules(KubernetesClient client, String version) {
    APIResourceList resources = client.getApiResources("resource.k8s.io/" + version);
    return resources != null
        && resources.getResources().stream().anyMatch(r -> r.getName().equals("devicetaintrules"));
  }

  private static GenericKubernetesResource taintRule(String version, String node) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("resource.k8s.io/" + version)
        .withKind("DeviceTaintRule")
        .withNewMetadata()
        .withName(node + "-gpu-example-com-" + node + "-0123456789")
        .addToLabels("dra.dranode.io/node", node)
        .endMetadata()
        .addToAdditionalProperties(
            "spec",
            Map.of(
                "deviceSelector",
                Map.of("driver", "gpu.example.com", "pool", node),
                "taint",
                Map.of(
                    "key", "dra.dranode.io/driver-unusable",
                    "value", "gpu.example.com",
                    "effect", "NoSchedule")))
        .build();
  }

  private static MixedOperation<DRANode, KubernetesResourceList<DRANode>, Resource<DRANode>>
      draNodes(KubernetesClient client) {
    return client.resources(DRANode.class);
  }

  private static DRANode draNode(String name) {
    DRANode node = new DRANode();
    node.setMetadata(new ObjectMetaBuilder().withName(name).build());
    return node;
  }

  private static Event event(String node) {
    return new EventBuilder()
        .withNewMetadata()
        .withName(node + "." + UUID.randomUUID().toString().substring(0, 8))
        .withNamespace("default")
        .endMetadata()
        .withNewInvolvedObject()
        .withApiVersion("v1")
        .withKind("Node")
        .withName(node)
        .endInvolvedObject()
        .withReason("DRADriverRegistered")
        .withMessage("test")
        .withType("Normal")
        .withNewSource()
        .withComponent("dra-node-agent")
        .endSource()
        .build();
  }

  private static boolean established(@Nullable CustomResourceDefinition crd) {
    return crd != null
        && crd.getStatus() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True"));
  }

  private static String createSlice(String node) {
    String name = node + "-" + UUID.randomUUID().toString().substring(0, 8);
    slices(adminClient()).resource(slice(name, node)).create();
    return name;
  }

  private static ResourceSlice slice(String name, String node) {
    return new ResourceSliceBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withDriver("gpu.example.com")
        .withNodeName(node)
        .withNewPool()
        .withName(node)
        .withGeneration(1L)
        .withResourceSliceCount(1L)
        .endPool()
        .endSpec()
        .build();
  }

  private static MixedOperation<ResourceSlice, ResourceSliceList, Resource<ResourceSlice>> slices(
      KubernetesClient client) {
    return client.resources(ResourceSlice.class, ResourceSliceList.class);
  }

  private static KubernetesClient adminClient() {
    assertThat(admin).as("admin client, created in @BeforeAll").isNotNull();
    return admin;
  }

  /**
   * A client for the cluster admin, or, with a user, one that impersonates that user; with a node,
   * the user also carries the node-name extra of a pod-bound ServiceAccount token.
   */
  private static KubernetesClient client(@Nullable String user, @Nullable String node) {
    Config config = Config.fromKubeconfig(K3S.getKubeConfigYaml());
    if (user != null) {
      config.setImpersonateUsername(user);
      config.setImpersonateGroups(
          "system:serviceaccounts", "system:serviceaccounts:" + NAMESPACE, "system:authenticated");
      if (node != null) {
        config.setImpersonateExtras(Map.of(NODE_NAME_EXTRA, List.of(node)));
      }
    }
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
