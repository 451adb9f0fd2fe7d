package io.dranode.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example driver's ResourceSlice against fabric8's mock API server in CRUD mode. Each test uses
 * its own node name: the server's state is shared by the whole class.
 */
@EnableKubernetesMockClient(crud = true)
class ExampleDriverSliceTest {

  static @Nullable KubernetesClient client;

  @TempDir(cleanup = CleanupMode.ALWAYS, factory = ShortTempDir.class)
  Path root;

  private final List<ExampleDriver> drivers = new ArrayList<>();

  @AfterEach
  void stopDrivers() {
    drivers.forEach(ExampleDriver::close);
  }

  @Test
  void publishesOneSliceOwnedByItsNode() throws IOException {
    String node = "node-owned";
    Node created =
        kube()
            .nodes()
            .resource(new NodeBuilder().withNewMetadata().withName(node).endMetadata().build())
            .create();

    ExampleDriver driver = started(node);

    ResourceSlice slice = slice(driver);
    assertThat(slice.getMetadata().getGenerateName()).isEqualTo(node + "-gpu.example.com-");
    assertThat(slice.getMetadata().getName()).startsWith(node + "-gpu.example.com-");
    assertThat(slice.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            (OwnerReference owner) -> {
              assertThat(owner.getApiVersion()).isEqualTo("v1");
              assertThat(owner.getKind()).isEqualTo("Node");
              assertThat(owner.getName()).isEqualTo(node);
              assertThat(owner.getUid()).isNotBlank().isEqualTo(created.getMetadata().getUid());
              assertThat(owner.getController()).isTrue();
            });
    assertThat(slice.getSpec().getDriver()).isEqualTo("gpu.example.com");
    assertThat(slice.getSpec().getNodeName()).isEqualTo(node);
    assertThat(slice.getSpec().getPool().getName()).isEqualTo(node);
    assertThat(slice.getSpec().getPool().getGeneration()).isEqualTo(1L);
    assertThat(slice.getSpec().getPool().getResourceSliceCount()).isEqualTo(1L);
    assertThat(slice.getSpec().getDevices())
        .extracting(Device::getName)
        .containsExactly("dev-0", "dev-1", "dev-2");
    assertThat(slice.getSpec().getDevices().get(2).getAttributes())
        .hasEntrySatisfying("index", index -> assertThat(index.getInt()).isEqualTo(2L));
  }

  @Test
  void aSliceForAMissingNodeHasNoOwner() throws IOException {
    ExampleDriver driver = started("node-never-created");

    assertThat(slice(driver).getMetadata().getOwnerReferences()).isNullOrEmpty();
  }

  @Test
  void republishIfMissingRecreatesAWipedSliceAndOnlyThen() throws IOException {
    ExampleDriver driver = started("node-wiped");
    String first = driver.sliceName().orElseThrow();

    assertThat(driver.republishIfMissing()).isFalse();
    kube().resources(ResourceSlice.class).withName(first).delete();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> kube().resources(ResourceSlice.class).withName(first).get() == null);

    assertThat(driver.republishIfMissing()).isTrue();
    String second = driver.sliceName().orElseThrow();
    assertThat(second).isNotEqualTo(first);
    assertThat(kube().resources(ResourceSlice.class).withName(second).get()).isNotNull();
  }

  @Test
  void stoppingLeavesTheSliceForTheRegistrarToWipe() throws IOException {
    ExampleDriver driver = started("node-stopped");
    String name = driver.sliceName().orElseThrow();

    driver.close();

    assertThat(kube().resources(ResourceSlice.class).withName(name).get()).isNotNull();
  }

  @Test
  void withoutAClientNothingIsPublished() throws IOException {
    ExampleDriver driver =
        new ExampleDriver(ExampleDriverConfig.of("gpu.example.com", root, 1, "node-none"));
    drivers.add(driver.start());

    assertThat(driver.sliceName()).isEmpty();
    assertThat(kube().resources(ResourceSlice.class).list().getItems())
        .noneMatch(s -> "node-none".equals(s.getSpec().getNodeName()));
  }

  private ExampleDriver started(String node) throws IOException {
    ExampleDriver driver =
        new ExampleDriver(
            ExampleDriverConfig.of("gpu.example.com", root, 3, node).withClient(kube()));
    drivers.add(driver);
    return driver.start();
  }

  private static ResourceSlice slice(ExampleDriver driver) {
    String name = driver.sliceName().orElseThrow();
    ResourceSlice slice = kube().resources(ResourceSlice.class).withName(name).get();
    assertThat(slice).as("slice %s", name).isNotNull();
    return slice;
  }

  private static KubernetesClient kube() {
    return Objects.requireNonNull(client, "mock Kubernetes client");
  }
}
