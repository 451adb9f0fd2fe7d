package io.dranode.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.config.ExecutorsConfig;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.testing.DraEndpoints;
import io.dranode.agent.testing.Stores;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The upstream flake (kubernetes/kubernetes#131056: a delayed wipe outlived the test that started
 * it), reproduced against the whole application and beaten: a wipe is pending or running against a
 * slow API server when the context closes, and after {@code close()} returns no request of ours
 * reaches the API server and no thread of ours is alive (docs/ARCHITECTURE.md, invariant 5).
 */
class LifecycleTest {

  static final String A = "driver-a.example.com";
  static final String B = "driver-b.example.com";
  static final Duration WIPE_DELAY = Duration.ofMillis(300);

  private final Properties savedSystemProperties = new Properties();
  private SlowApiServer api;
  private SentRequests sent;
  private KubernetesClient testClient;
  private DraEndpoints plugins;
  private Path root;
  private @Nullable ConfigurableApplicationContext context;

  @BeforeEach
  void setUp() throws IOException {
    savedSystemProperties.putAll(System.getProperties());
    api = new SlowApiServer();
    sent = new SentRequests();
    testClient = api.client();
    testClient
        .nodes()
        .resource(new NodeBuilder().withNewMetadata().withName("worker").endMetadata().build())
        .create();
    // The production client bean, configured the standard fabric8 way, pointed at the mock.
    System.setProperty("kubernetes.master", api.url());
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.trust.certificates", "true");
    System.setProperty("kubernetes.namespace", "default");
    // The mock speaks plain HTTP, where the JDK client's h2c upgrade costs seconds per call; a
    // real API server negotiates HTTP/2 over TLS instead. Not what is under test here.
    System.setProperty("http2.disable", "true");
    // Unix socket paths must stay under 108 bytes: a short folder under /tmp.
    root = Files.createTempDirectory(Path.of("/tmp"), "dra");
    Files.createDirectories(root.resolve("plugins"));
    plugins = new DraEndpoints();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (context != null) {
      context.close(); // a failed test must not leave its application running
    }
    plugins.close();
    testClient.close();
    api.close();
    System.setProperties(savedSystemProperties);
    try (Stream<Path> tree = Files.walk(root)) {
      tree.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** A wipe blocked on a slow API server when the context closes. */
  @Test
  void closeWhileAWipeWaitsForASlowApiServer() {
    ConfigurableApplicationContext context = start();
    PendingWipes wipes = context.getBean(PendingWipes.class);
    registerBothThenDeregisterA(context, Duration.ofSeconds(2));

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> wipes.pendingFor(A).map(p -> p.attempts() > 0).orElse(false));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> api.requests().contains("GET " + SlowApiServer.SLICES));

    closeAndAssertNothingOfOursRemains(context, Duration.ofSeconds(2));
  }

  /** The same, with a wipe that is only pending (not yet due) and a fast API server. */
  @Test
  void closeWhileAWipeIsPending() {
    ConfigurableApplicationContext context = start();
    PendingWipes wipes = context.getBean(PendingWipes.class);
    registerBothThenDeregisterA(context, Duration.ZERO);
    assertThat(wipes.pendingFor(A)).isPresent();

    closeAndAssertNothingOfOursRemains(context, Duration.ZERO);

    assertThat(sliceNames()).contains("slice-" + A); // the cancelled wipe never ran
  }

  /** A wipe that already finished, then close: the baseline that everything else is held to. */
  @Test
  void closeAfterTheWipe() {
    ConfigurableApplicationContext context = start();
    registerBothThenDeregisterA(context, Duration.ZERO);
    await().atMost(Duration.ofSeconds(10)).until(() -> !sliceNames().contains("slice-" + A));
    // Events about the registrations and the wipe are written too: "nothing after close" holds
    // for them as well.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                sent.requests().stream()
                    .anyMatch(r -> r.contains(" POST /api/v1/namespaces/default/events ")));

    closeAndAssertNothingOfOursRemains(context, Duration.ZERO);

    assertThat(sliceNames()).containsExactly("slice-" + B);
  }

  /**
   * The API server fails while the context closes: the wipe is retried with backoff on the
   * scheduler (two failed attempts take about 1.3 s, more on a loaded machine), and no such retry
   * of ours may fire after close.
   */
  @Test
  void closeWhileTheApiServerFails() {
    ConfigurableApplicationContext context = start();
    WipeHistory history = context.getBean(WipeHistory.class);
    registerBothThenDeregisterA(context, Duration.ZERO);
    api.sliceFailure(500);
    int before = api.requests().size();

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                api.requests().subList(before, api.requests().size()).stream()
                        .filter(r -> r.equals("GET " + SlowApiServer.SLICES))
                        .count()
                    >= 2);

    closeAndAssertNothingOfOursRemains(context, Duration.ofSeconds(2));
    assertThat(history.recent()).noneMatch(r -> r.driver().equals(A));
  }

  /** Invariant 7: a wipe hanging on the API server does not hold up registrations. */
  @Test
  void aHangingWipeDoesNotBlockRegistration() {
    ConfigurableApplicationContext context = start();
    PendingWipes wipes = context.getBean(PendingWipes.class);
    PluginStore store = context.getBean(PluginStore.class);
    registerBothThenDeregisterA(context, Duration.ofSeconds(3));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> wipes.pendingFor(A).map(p -> p.attempts() > 0).orElse(false));

    long started = System.nanoTime();
    store.register(
        "c.example.com", endpoint("c"), root.resolve("c-reg.sock"), "v1.DRAPlugin", null);
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertThat(took).isLessThan(Duration.ofMillis(500));
    assertThat(store.driver("c.example.com")).isPresent();
    closeAndAssertNothingOfOursRemains(context, Duration.ofSeconds(3));
  }

  /** Close at a random moment of a wipe's life, against a randomly slow API server. */
  @RepeatedTest(50)
  @Tag("stress")
  void closeAtARandomMoment() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    Duration apiDelay = Duration.ofMillis(random.nextInt(0, 200));
    ConfigurableApplicationContext context = start(WebApplicationType.NONE);
    PendingWipes wipes = context.getBean(PendingWipes.class);
    registerBothThenDeregisterA(context, apiDelay);
    switch (random.nextInt(3)) {
      case 0 -> {} // pending
      case 1 ->
          await()
              .atMost(Duration.ofSeconds(10))
              .until(() -> wipes.pendingFor(A).map(p -> p.attempts() > 0).orElse(true));
      default ->
          await()
              .atMost(Duration.ofSeconds(10))
              .until(
                  () ->
                      context.getBean(WipeHistory.class).recent().stream()
                          .anyMatch(r -> r.driver().equals(A)));
    }

    closeAndAssertNothingOfOursRemains(context, apiDelay);
  }

  /** Command-line arguments: they win over application.yaml, as they would in a pod. */
  private ConfigurableApplicationContext start() {
    return start(WebApplicationType.SERVLET);
  }

  /**
   * The whole agent; the repeated stress variant leaves out the web and gRPC servers, which own no
   * background work of ours, to keep 50 runs within a minute or two.
   */
  private ConfigurableApplicationContext start(WebApplicationType web) {
    ConfigurableApplicationContext started =
        new SpringApplicationBuilder(DraNodeAgentApplication.class)
            .web(web)
            // Sees every request of the agent's own client as it sends it.
            .initializers(c -> c.getBeanFactory().registerSingleton("sentRequests", sent))
            .run(
                "--spring.grpc.server.enabled=" + (web != WebApplicationType.NONE),
                "--dra.agent.node-name=worker",
                "--dra.agent.kubelet-root-dir=" + root,
                "--dra.agent.wipe.delay=" + WIPE_DELAY.toMillis() + "ms",
                "--dra.agent.kubernetes.field-selectors=client",
                "--spring.grpc.server.port=0",
                "--server.port=0");
    context = started;
    return started;
  }

  /** Both drivers usable with a slice each, then A gone; from then on the API answers slowly. */
  private void registerBothThenDeregisterA(
      ConfigurableApplicationContext context, Duration apiDelay) {
    PluginStore store = context.getBean(PluginStore.class);
    for (String driver : List.of(A, B)) {
      String endpoint =
          plugins.serve(root.resolve("plugins").resolve(driver.substring(0, 8) + ".sock"));
      store.register(driver, endpoint, root.resolve(driver + "-reg.sock"), "v1.DRAPlugin", null);
      store.setConnection(driver, endpoint, ConnectionState.CONNECTED);
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> Stores.usable(store, A) && Stores.usable(store, B));
    // Published once the drivers are usable, as a driver does: earlier, the agent's start-up
    // sweep would rightly take them for orphans.
    for (String driver : List.of(A, B)) {
      testClient.resources(ResourceSlice.class).resource(slice(driver)).create();
    }
    api.sliceDelay(apiDelay);
    store.deregister(A, endpoint(A.substring(0, 8)), "test: driver A went away");
  }

  private String endpoint(String name) {
    return root.resolve("plugins").resolve(name + ".sock").toString();
  }

  /**
   * Closes the context, then holds, for longer than a wipe delay plus the API delay plus a retry,
   * the two promises of invariant 5. "No API call of ours after close" is judged where the call is
   * made, in the agent's client: the mock records a request only when its event loop dispatches it,
   * and that loop stalls now and then (it tears watches down on it), so a request sent before close
   * may be dispatched after it. Every request the mock dispatches after close must be one that the
   * agent had sent before.
   */
  private void closeAndAssertNothingOfOursRemains(
      ConfigurableApplicationContext context, Duration apiDelay) {
    long closing = System.nanoTime();
    context.close();
    Duration closeTook = Duration.ofNanos(System.nanoTime() - closing);
    List<String> sentAtClose = sent.requests();
    int dispatchedAtClose = api.recorded().size();

    // A pool reports itself terminated while its last worker is still leaving run(): give those
    // exiting threads a moment, bounded, before holding the promise over the quiet period.
    await().atMost(Duration.ofSeconds(2)).until(() -> ourLiveThreads().isEmpty());
    // Running work is interrupted, not waited for: close does not sit out a slow API call.
    assertThat(closeTook).isLessThan(Duration.ofSeconds(5));
    Duration quietPeriod = WIPE_DELAY.plus(apiDelay).plus(Duration.ofSeconds(1));
    await()
        .during(quietPeriod)
        .atMost(quietPeriod.plus(Duration.ofSeconds(5)))
        .untilAsserted(
            () -> {
              assertThat(sent.requests()).as("requests the agent sent").isEqualTo(sentAtClose);
              List<SlowApiServer.Recorded> all = api.recorded();
              assertThat(all.subList(dispatchedAtClose, all.size()))
                  .as(
                      "requests the mock dispatched after close, each of them sent before close"
                          + " (sent then: %s)",
                      sentAtClose)
                  .allMatch(r -> r.agentNumber() >= 1 && r.agentNumber() <= sentAtClose.size());
              assertThat(ourLiveThreads()).isEmpty();
            });
  }

  /**
   * The agent's own threads, among them the JDK HTTP client's executor threads of the agent's
   * Kubernetes client ({@code dra-k8s-http-N}), which its close shuts down. Not counted, because
   * they cannot be told from the test client's and outlive close by design: the JDK client's {@code
   * HttpClient-N-SelectorManager} (Java 17 ends it when the client is garbage-collected; it serves
   * only connections, and close aborts ours) and fabric8's JVM-wide {@code
   * CachedSingleThreadScheduler} (its informer and watch timers, cancelled by their stop; anything
   * they might still try is refused by the closed client and would show in {@link SentRequests}).
   */
  private static List<String> ourLiveThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith(ExecutorsConfig.THREAD_PREFIX))
        .sorted()
        .toList();
  }

  private List<String> sliceNames() {
    return testClient.resources(ResourceSlice.class).list().getItems().stream()
        .map(s -> s.getMetadata().getName())
        .sorted()
        .toList();
  }

  private static ResourceSlice slice(String driver) {
    return new ResourceSliceBuilder()
        .withNewMetadata()
        .withName("slice-" + driver)
        .endMetadata()
        .withNewSpec()
        .withDriver(driver)
        .withNodeName("worker")
        .withNewPool()
        .withName("worker")
        .withGeneration(1L)
        .withResourceSliceCount(1L)
        .endPool()
        .endSpec()
        .build();
  }
}
