package io.dranode.example;

import io.dranode.agent.DraNodeAgentApplication;
import io.dranode.agent.testing.DRANodeMock;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The embedded default: the agent, an in-memory Kubernetes API (fabric8's mock server in CRUD mode)
 * with this node's Node object, and two example drivers, all in one process, so that the whole job
 * can be watched without a cluster. Started by {@code ./mvnw spring-boot:test-run}.
 *
 * <p>The in-memory API does not implement {@code spec.*} field selectors (it matches nothing on
 * them), so the agent runs with {@code dra.agent.kubernetes.field-selectors=client}: it lists every
 * slice and keeps only this node's and this driver's, the same check it applies to what a real API
 * server returns.
 */
public final class EmbeddedAgent implements AutoCloseable {

  static final String NODE = "embedded-node";
  static final Duration WIPE_DELAY = Duration.ofSeconds(10);
  static final Map<String, Integer> DRIVERS =
      new LinkedHashMap<>(Map.of("gpu.example.com", 4, "nic.example.com", 2));

  private static final Logger log = LoggerFactory.getLogger(EmbeddedAgent.class);

  private final Path base;
  private final Path kubeletRoot;
  private final KubernetesMockServer api;
  private final KubernetesClient driverClient;
  private final KubernetesClient agentClient;
  private final Map<String, ExampleDriver> drivers = new LinkedHashMap<>();
  private @Nullable ConfigurableApplicationContext agent;
  private @Nullable DriverControl control;

  /** Prepares the folders and starts the in-memory API. */
  public EmbeddedAgent(Path base) throws IOException {
    this.base = base.toAbsolutePath().normalize();
    this.kubeletRoot = this.base.resolve("kubelet");
    deleteTree(kubeletRoot);
    Files.createDirectories(kubeletRoot);
    this.api =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), new InMemoryApi(), false);
    api.init(InetAddress.getLoopbackAddress(), 0);
    this.driverClient = api.createClient();
    this.agentClient = api.createClient();
    driverClient
        .nodes()
        .resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build())
        .create();
    // The CRD as the chart installs it from its crds/ folder.
    driverClient
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .resource(DRANodeMock.chartCrd())
        .create();
  }

  /** Starts the agent and then the example drivers. */
  public EmbeddedAgent start(Duration wipeDelay, String... extraArgs) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--dra.agent.kubelet-root-dir=" + kubeletRoot,
                "--dra.agent.mode=registrar",
                "--dra.agent.node-name=" + NODE,
                "--dra.agent.wipe.delay=" + wipeDelay.toMillis() + "ms",
                "--dra.agent.kubernetes.field-selectors=client",
                // A laptop demo in security mode none: reachable from this machine only.
                "--server.address=127.0.0.1",
                "--spring.grpc.server.address=127.0.0.1",
                // the in-memory API logs every request at INFO
                "--logging.level.io.fabric8.mockwebserver=WARN"));
    args.addAll(List.of(extraArgs));
    // The agent's own client of the in-memory API, handed over as the context's client bean.
    agent =
        new SpringApplicationBuilder(DraNodeAgentApplication.class)
            .initializers(
                context ->
                    context.getBeanFactory().registerSingleton("kubernetesClient", agentClient))
            .run(args.toArray(String[]::new));
    for (String driver : DRIVERS.keySet()) {
      startDriver(driver);
    }
    return this;
  }

  /** Starts (or restarts) one example driver; it re-publishes its slice when it was wiped. */
  public synchronized ExampleDriver startDriver(String name) throws IOException {
    ExampleDriver previous = drivers.remove(name);
    if (previous != null) {
      previous.close();
    }
    Integer devices = DRIVERS.get(name);
    if (devices == null) {
      throw new IllegalArgumentException("unknown example driver " + name);
    }
    ExampleDriver driver =
        new ExampleDriver(
            ExampleDriverConfig.of(name, kubeletRoot, devices, NODE).withClient(driverClient));
    drivers.put(name, driver);
    driver.start();
    driver.republishIfMissing();
    return driver;
  }

  /** Stops one example driver cleanly: its sockets disappear, its slice stays behind. */
  public synchronized void stopDriver(String name) {
    ExampleDriver driver = drivers.remove(name);
    if (driver != null) {
      driver.close();
    }
  }

  public synchronized @Nullable ExampleDriver driver(String name) {
    return drivers.get(name);
  }

  public Path kubeletRoot() {
    return kubeletRoot;
  }

  public Path controlDir() {
    return base.resolve("control");
  }

  public String apiUrl() {
    return "http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + api.getPort();
  }

  public KubernetesClient client() {
    return driverClient;
  }

  public ConfigurableApplicationContext agent() {
    ConfigurableApplicationContext current = agent;
    if (current == null) {
      throw new IllegalStateException("not started");
    }
    return current;
  }

  /** Reacts to files dropped in the control folder (see the README's walkthrough). */
  public void watchControlFolder() throws IOException {
    control = new DriverControl(controlDir(), this);
    control.start();
  }

  @Override
  public synchronized void close() {
    if (control != null) {
      control.close();
    }
    drivers.values().forEach(ExampleDriver::close);
    drivers.clear();
    if (agent != null) {
      agent.close();
    }
    driverClient.close();
    agentClient.close();
    api.destroy();
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var tree = Files.walk(root)) {
      for (Path p : tree.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  public static void main(String[] args) throws Exception {
    EmbeddedAgent embedded = new EmbeddedAgent(Path.of("target", "embedded"));
    Runtime.getRuntime().addShutdownHook(new Thread(embedded::close, "embedded-shutdown"));
    embedded.start(WIPE_DELAY, args);
    embedded.watchControlFolder();
    String port = embedded.agent().getEnvironment().getProperty("local.server.port", "8080");
    Path control = embedded.controlDir();
    Path registry = embedded.kubeletRoot().resolve("plugins_registry");
    log.info(
        """

        ===================================================================================
         dra-node-agent is running on its embedded default (no cluster needed)
           node:               {}
           kubelet root:       {}
           in-memory API:      {}
           wipe delay:         {}  (a driver gone this long loses its ResourceSlices)
           example drivers:    {}

         Look around:
           curl -s localhost:{}/api/v1/plugins
           curl -s localhost:{}/api/v1/resourceslices
           curl -s localhost:{}/api/v1/devices/health
           curl -s localhost:{}/api/v1/cleanups
           curl -sN localhost:{}/api/v1/events          (Server-Sent Events; keep it open)

         Take a driver away, and watch its slices go after {}:
           rm {}/nic.example.com-reg.sock
         Stop a driver the clean way, then bring it back within {} to cancel the wipe:
           touch {}/stop-gpu.example.com
           touch {}/start-gpu.example.com
         Make a device unhealthy (and healthy again):
           touch {}/unhealthy-gpu.example.com-dev-1
           touch {}/healthy-gpu.example.com-dev-1
         The Events on the Node, from the in-memory API:
           kubectl --server {} get events -n default
           kubectl --server {} describe node {}
        ===================================================================================
        """,
        NODE,
        embedded.kubeletRoot(),
        embedded.apiUrl(),
        WIPE_DELAY.toSeconds() + "s",
        DRIVERS.keySet(),
        port,
        port,
        port,
        port,
        port,
        WIPE_DELAY.toSeconds() + "s",
        registry,
        WIPE_DELAY.toSeconds() + "s",
        control,
        control,
        control,
        control,
        embedded.apiUrl(),
        embedded.apiUrl(),
        NODE);
    embedded.agent().registerShutdownHook();
    Thread.currentThread().join();
  }
}
