package io.dranode.agent.cleanup;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.dranode.agent.testing.TestProperties;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/** Test data and queries for ResourceSlices, and the agent settings the cleanup tests use. */
final class Slices {

  static final String NODE = "worker";
  static final String OTHER_NODE = "other-node";

  private Slices() {}

  static ResourceSlice slice(String name, String nodeName, String driver) {
    return new ResourceSliceBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withDriver(driver)
        .withNodeName(nodeName)
        .withNewPool()
        .withName(nodeName)
        .withGeneration(1L)
        .withResourceSliceCount(1L)
        .endPool()
        .endSpec()
        .build();
  }

  static Node node(String name) {
    return new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
  }

  static void create(KubernetesClient client, ResourceSlice... slices) {
    for (ResourceSlice slice : slices) {
      client.resources(ResourceSlice.class).resource(slice).create();
    }
  }

  /** Names of every slice the server holds, whatever node or driver. */
  static Set<String> names(KubernetesClient client) {
    Set<String> names = new TreeSet<>();
    List<ResourceSlice> items = client.resources(ResourceSlice.class).list().getItems();
    for (ResourceSlice slice : items) {
      names.add(slice.getMetadata().getName());
    }
    return names;
  }

  /** Reads one slice by name: a request that list expectations do not intercept. */
  static boolean exists(KubernetesClient client, String name) {
    return client.resources(ResourceSlice.class).withName(name).get() != null;
  }

  static void deleteAll(KubernetesClient client) {
    for (ResourceSlice slice : client.resources(ResourceSlice.class).list().getItems()) {
      client.resources(ResourceSlice.class).withName(slice.getMetadata().getName()).delete();
    }
  }

  /**
   * This node's settings with the given field selectors ({@code server} or {@code client}) and more
   * settings as "name=value" pairs, with the kubelet-like defaults otherwise: a 30 s grace period,
   * 1 s first retry, 5 min cap.
   */
  static AgentProperties properties(FieldSelectors selectors, String... more) {
    String[] pairs = new String[more.length + 3];
    pairs[0] = "dra.agent.node-name=" + NODE;
    pairs[1] = "dra.agent.mode=registrar";
    pairs[2] = "dra.agent.kubernetes.field-selectors=" + selectors.name().toLowerCase(Locale.ROOT);
    System.arraycopy(more, 0, pairs, 3, more.length);
    return TestProperties.of(pairs);
  }
}
