package io.dranode.agent.chart;

import static io.dranode.agent.chart.RenderedChart.NAMESPACE;
import static io.dranode.agent.chart.RenderedChart.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceList;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The chart's RBAC and admission policy against a real API server (k3s): the agent's ServiceAccount
 * may delete its own node's ResourceSlices and nothing else. Skipped where there is no Docker
 * engine.
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
          "ValidatingAdmissionPolicy",
          "ValidatingAdmissionPolicyBinding");

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
    RenderedChart chart = RenderedChart.render();
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
