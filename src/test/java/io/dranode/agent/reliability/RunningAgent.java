package io.dranode.agent.reliability;

import io.dranode.agent.DraNodeAgentApplication;
import io.dranode.example.ExampleDriver;
import io.dranode.example.ExampleDriverConfig;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole agent in this JVM, configured as in a pod (command-line arguments, the production
 * Kubernetes client bean pointed at fabric8's CRUD mock through the standard system properties), on
 * a short folder under {@code /tmp}, plus example drivers that publish their slices to the same
 * API. Everything is closed and the system properties restored on {@link #close()}.
 */
final class RunningAgent implements AutoCloseable {

  static final String NODE = "worker";

  final Path root;
  final KubernetesMockServer api;
  final KubernetesClient client;
  private final Properties savedSystemProperties = new Properties();
  private final List<ExampleDriver> drivers = new ArrayList<>();
  private @Nullable ConfigurableApplicationContext context;

  RunningAgent() throws IOException {
    savedSystemProperties.putAll(System.getProperties());
    api =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    api.init();
    client = api.createClient();
    client
        .nodes()
        .resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build())
        .create();
    System.setProperty("kubernetes.master", api.url("/"));
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.namespace", "default");
    // Plain HTTP to the mock: no h2c upgrade (it costs seconds per call with the JDK client).
    System.setProperty("http2.disable", "true");
    // Unix socket paths must stay under 108 bytes.
    root = Files.createTempDirectory(Path.of("/tmp"), "ra");
  }

  /** Starts the agent; arguments win over application.yaml, as in a pod. */
  ConfigurableApplicationContext start(String... extraArgs) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--dra.agent.node-name=" + NODE,
                "--dra.agent.kubelet-root-dir=" + root,
                "--dra.agent.kubernetes.field-selectors=client",
                "--spring.grpc.server.port=0",
                "--server.port=0",
                "--logging.level.io.fabric8.mockwebserver=WARN"));
    args.addAll(List.of(extraArgs));
    ConfigurableApplicationContext started =
        new SpringApplicationBuilder(DraNodeAgentApplication.class)
            .web(WebApplicationType.SERVLET)
            .run(args.toArray(String[]::new));
    context = started;
    return started;
  }

  ConfigurableApplicationContext context() {
    ConfigurableApplicationContext current = context;
    if (current == null) {
      throw new IllegalStateException("not started");
    }
    return current;
  }

  <T> T bean(Class<T> type) {
    return context().getBean(type);
  }

  int port(String property) {
    return Integer.parseInt(context().getEnvironment().getRequiredProperty(property));
  }

  /** Starts an example driver with one device that publishes its slice. */
  ExampleDriver driver(String name) throws IOException {
    ExampleDriver driver =
        new ExampleDriver(ExampleDriverConfig.of(name, root, 1, NODE).withClient(client));
    drivers.add(driver);
    driver.start();
    return driver;
  }

  /** Names of this node's slices of the driver, as the API server has them. */
  Set<String> slicesOf(String driver) {
    Set<String> names = new TreeSet<>();
    for (ResourceSlice slice : client.resources(ResourceSlice.class).list().getItems()) {
      if (driver.equals(slice.getSpec().getDriver())
          && NODE.equals(slice.getSpec().getNodeName())) {
        names.add(slice.getMetadata().getName());
      }
    }
    return names;
  }

  /** Open file descriptors of this JVM: sockets and channels that leak show up here. */
  static long openFileDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  @Override
  public void close() throws IOException {
    if (context != null) {
      context.close();
    }
    drivers.forEach(ExampleDriver::close);
    client.close();
    api.destroy();
    System.setProperties(savedSystemProperties);
    try (Stream<Path> tree = Files.walk(root)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
