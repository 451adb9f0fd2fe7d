package io.dranode.example;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttributeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's one ResourceSlice, shaped like the helper library's (v0.34): {@code generateName
 * <node>-<driver>-}, owned by the Node (controller), one pool named after the node with one slice.
 * Slices are never deleted by the driver: like the real helper, a stopping driver leaves them for
 * the registrar to wipe.
 */
final class SlicePublisher {

  private static final Logger log = LoggerFactory.getLogger(SlicePublisher.class);

  private final KubernetesClient client;
  private final String driverName;
  private final String nodeName;
  private final List<String> devices;
  private @Nullable String name;

  SlicePublisher(
      KubernetesClient client, String driverName, String nodeName, List<String> devices) {
    this.client = client;
    this.driverName = driverName;
    this.nodeName = nodeName;
    this.devices = List.copyOf(devices);
  }

  synchronized Optional<String> name() {
    return Optional.ofNullable(name);
  }

  /** Creates the slice and remembers the name the API server generated. */
  synchronized String publish() {
    // Like the helper library's controller after a restart: adopt this node's existing slice of
    // this driver instead of adding a second one.
    for (ResourceSlice existing : client.resources(ResourceSlice.class).list().getItems()) {
      if (existing.getSpec() != null
          && nodeName.equals(existing.getSpec().getNodeName())
          && driverName.equals(existing.getSpec().getDriver())) {
        name = existing.getMetadata().getName();
        log.info("{}: adopted existing ResourceSlice {} on node {}", driverName, name, nodeName);
        return name;
      }
    }
    ResourceSlice created = client.resources(ResourceSlice.class).resource(build()).create();
    name = created.getMetadata().getName();
    log.info("{}: published ResourceSlice {} on node {}", driverName, name, nodeName);
    return name;
  }

  /** Re-creates the slice when it is gone (e.g. wiped); true when it created one. */
  synchronized boolean republishIfMissing() {
    if (name != null && client.resources(ResourceSlice.class).withName(name).get() != null) {
      return false;
    }
    publish();
    return true;
  }

  private ResourceSlice build() {
    ObjectMetaBuilder metadata =
        new ObjectMetaBuilder().withGenerateName(nodeName + "-" + driverName + "-");
    Node node = client.nodes().withName(nodeName).get();
    if (node == null) {
      log.warn(
          "{}: Node {} does not exist, publishing its ResourceSlice without an owner reference",
          driverName,
          nodeName);
    } else {
      metadata.withOwnerReferences(
          new OwnerReferenceBuilder()
              .withApiVersion("v1")
              .withKind("Node")
              .withName(nodeName)
              .withUid(node.getMetadata().getUid())
              .withController(true)
              .build());
    }
    return new ResourceSliceBuilder()
        .withMetadata(metadata.build())
        .withNewSpec()
        .withDriver(driverName)
        .withNodeName(nodeName)
        .withNewPool()
        .withName(nodeName)
        .withGeneration(1L)
        .withResourceSliceCount(1L)
        .endPool()
        .withDevices(devices.stream().map(SlicePublisher::device).toList())
        .endSpec()
        .build();
  }

  private static Device device(String deviceName) {
    long index = Long.parseLong(deviceName.substring(deviceName.lastIndexOf('-') + 1));
    DeviceAttribute attribute = new DeviceAttributeBuilder().withInt(index).build();
    return new DeviceBuilder()
        .withName(deviceName)
        .withAttributes(Map.of("index", attribute))
        .build();
  }
}
