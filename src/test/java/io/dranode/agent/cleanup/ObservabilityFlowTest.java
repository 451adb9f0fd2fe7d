package io.dranode.agent.cleanup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.testing.ManualScheduler;
import io.dranode.agent.testing.MutableClock;
import io.dranode.agent.testing.Notification;
import io.dranode.example.ExampleDriver;
import io.dranode.example.ExampleDriverConfig;
import io.dranode.example.ShortTempDir;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole agent, read the way an operator reads it: the probes, the health components and the
 * Prometheus metrics on the agent's one HTTP port (and the info endpoint), before anything
 * happened, after a real example driver registered over its Unix sockets, and after it went away
 * and its ResourceSlice was wiped. The wipe scheduler and the clock are the test's: the 30 s grace
 * period passes in one call.
 */
@EnabledOnOs(OS.LINUX)
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "dra.agent.node-name=" + ObservabilityFlowTest.NODE,
      "spring.grpc.server.port=0",
      // The mock API server does not implement spec.* field selectors.
      "dra.agent.kubernetes.field-selectors=client",
      "logging.level.io.fabric8.mockwebserver=WARN"
    })
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class ObservabilityFlowTest {

  static final String NODE = "worker";
  private static final String DRIVER = "gpu.example.com";
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Properties SAVED = new Properties();
  private static final String HEALTHY =
      "dra_agent_devices{driver=\"" + DRIVER + "\",health=\"HEALTHY\"}";
  private static final String UNHEALTHY =
      "dra_agent_devices{driver=\"" + DRIVER + "\",health=\"UNHEALTHY\"}";
  private static final String WIPE_FAILURES =
      "dra_agent_resourceslice_wipe_failed_attempts{driver=\"" + DRIVER + "\"}";
  private static final KubernetesMockServer API;

  @TempDir(factory = ShortTempDir.class)
  static Path root;

  static {
    SAVED.putAll(System.getProperties());
    API =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    API.init();
    // The production client bean, configured the standard fabric8 way, pointed at the mock.
    System.setProperty("kubernetes.master", API.url("/"));
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.namespace", "default");
    // Plain HTTP to the mock: no h2c upgrade (it costs seconds per call with the JDK client).
    System.setProperty("http2.disable", "true");
    try (KubernetesClient client = API.createClient()) {
      client
          .nodes()
          .resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build())
          .create();
    }
  }

  /** The test's clock and scheduler replace the production ones; the mock API closes last. */
  @TestConfiguration(proxyBeanMethods = false)
  static class DrivenTime {
    @Bean
    @Primary
    MutableClock testClock() {
      return new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }

    @Bean
    @Primary
    ManualScheduler testScheduler(MutableClock clock) {
      return new ManualScheduler(clock);
    }

    @Bean(destroyMethod = "destroy")
    KubernetesMockServer mockApiServer() {
      return API;
    }
  }

  @DynamicPropertySource
  static void kubeletRoot(DynamicPropertyRegistry registry) {
    registry.add("dra.agent.kubelet-root-dir", () -> root.toString());
  }

  @AfterAll
  static void restoreSystemProperties() {
    System.setProperties(SAVED);
  }

  @LocalServerPort int port;
  @Autowired ManualScheduler scheduler;
  @Autowired PendingWipes wipes;

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void probesHealthAndMetricsFollowARegistrationAndAWipe() throws Exception {
    try (KubernetesClient client = API.createClient()) {
      // Before: nothing registered, nothing wiped; the probes up, the API server reachable.
      assertThat(status("/actuator/health/liveness")).isEqualTo("UP");
      await().atMost(WAIT).until(() -> "UP".equals(status("/actuator/health/readiness")));
      await()
          .atMost(WAIT)
          .until(() -> "UP".equals(component("kubernetesApi").get("status").asString()));
      JsonNode watcher = component("registryWatcher");
      assertThat(watcher.get("status").asString()).isEqualTo("UP");
      assertThat(watcher.get("details").get("initialScanDone").asBoolean()).isTrue();
      JsonNode info = JSON.readTree(get("/actuator/info")).get("agent");
      assertThat(info.get("node").asString()).isEqualTo(NODE);
      assertThat(info.get("mode").asString()).isEqualTo("registrar");
      assertThat(info.get("registryDir").asString())
          .isEqualTo(root.resolve("plugins_registry").toString());
      assertThat(info.get("version").asString()).isNotBlank();
      assertThat(pluginCounts()).isEqualTo(List.of(0, 0));
      Map<String, Double> before = metrics();
      assertThat(before)
          .containsEntry("dra_agent_registrations_total{result=\"accepted\"}", 0.0)
          .containsEntry("dra_agent_plugin_instances", 0.0)
          .containsEntry("dra_agent_drivers_usable", 0.0)
          .containsEntry("dra_agent_registration_duration_seconds_count", 0.0)
          .containsEntry("dra_agent_deregistrations_total", 0.0)
          .containsEntry("dra_agent_resourceslice_wipes_total{result=\"deleted\"}", 0.0)
          .containsEntry("dra_agent_resourceslice_wipes_total{result=\"cancelled\"}", 0.0)
          .containsEntry("dra_agent_resourceslice_wipes_total{result=\"failed\"}", 0.0)
          .containsEntry("dra_agent_resourceslice_wipes_total{result=\"dry-run\"}", 0.0)
          .containsEntry("dra_agent_resourceslices_deleted_total", 0.0)
          .containsEntry("dra_agent_wipe_duration_seconds_count", 0.0)
          .containsEntry("dra_agent_resourceslice_wipes_pending", 0.0)
          .doesNotContainKey(WIPE_FAILURES);

      // A driver registers over its Unix sockets and publishes its slice.
      ExampleDriver driver =
          new ExampleDriver(ExampleDriverConfig.of(DRIVER, root, 2, NODE).withClient(client))
              .start();
      try {
        // Time is the test's: a registration retry (a slow first GetInfo) runs as time is moved.
        await()
            .atMost(WAIT)
            .until(
                () -> {
                  scheduler.advance(Duration.ofMillis(100));
                  return driver
                      .lastRegistrationStatus()
                      .map(Notification::registered)
                      .orElse(false);
                });
        await().atMost(WAIT).until(() -> pluginCounts().equals(List.of(1, 1)));
        assertThat(slicesOf(client)).hasSize(1);

        Map<String, Double> registered = metrics();
        assertThat(registered)
            .containsEntry("dra_agent_registrations_total{result=\"accepted\"}", 1.0)
            .containsEntry("dra_agent_plugin_instances", 1.0)
            .containsEntry("dra_agent_drivers_usable", 1.0)
            .containsEntry("dra_agent_registration_duration_seconds_count", 1.0)
            .containsEntry("dra_agent_resourceslice_wipes_total{result=\"deleted\"}", 0.0);
        assertThat(registered.get("dra_agent_registration_duration_seconds_sum"))
            .isGreaterThan(0.0);
        // Its two devices, as its health stream reports them.
        await().atMost(WAIT).until(() -> Double.valueOf(2.0).equals(metrics().get(HEALTHY)));
        assertThat(metrics()).containsEntry(UNHEALTHY, 0.0);
        // Its conditions, one series per status: 1 for the current one, 0 for the others.
        scheduler.runDue();
        await().atMost(WAIT).until(() -> metrics().containsKey(condition("Connected", "True")));
        assertThat(metrics())
            .containsEntry(condition("Connected", "True"), 1.0)
            .containsEntry(condition("Connected", "False"), 0.0)
            .containsEntry(condition("Connected", "Unknown"), 0.0)
            .containsEntry(condition("Registered", "True"), 1.0)
            .containsEntry(condition("SlicesPublished", "True"), 1.0);
        assertThat(status("/actuator/health/liveness")).isEqualTo("UP");
        assertThat(status("/actuator/health/readiness")).isEqualTo("UP");
      } finally {
        driver.close(); // the registration socket goes, then the DRA socket; the slice stays
      }

      // Gone: a wipe is pending; nothing is deleted before the grace period has passed.
      await().atMost(WAIT).until(() -> wipes.pendingFor(DRIVER).isPresent());
      await().atMost(WAIT).until(() -> pluginCounts().equals(List.of(0, 0)));
      // A gone driver's series go with it.
      await().atMost(WAIT).until(() -> !metrics().containsKey(HEALTHY));
      Map<String, Double> gone = metrics();
      assertThat(gone)
          .containsEntry("dra_agent_plugin_instances", 0.0)
          .containsEntry("dra_agent_drivers_usable", 0.0)
          .containsEntry("dra_agent_deregistrations_total", 1.0)
          .containsEntry("dra_agent_resourceslice_wipes_total{result=\"deleted\"}", 0.0)
          .containsEntry("dra_agent_resourceslice_wipes_pending", 1.0)
          .containsEntry(WIPE_FAILURES, 0.0)
          .doesNotContainKey(HEALTHY);
      scheduler.advance(Duration.ofSeconds(29));
      assertThat(slicesOf(client)).hasSize(1);

      // The grace period ends: the wipe runs (on this thread) and deletes the slice.
      scheduler.advance(Duration.ofSeconds(1));
      assertThat(slicesOf(client)).isEmpty();
      assertThat(wipes.pendingFor(DRIVER)).isEmpty();

      // Nothing of the driver is left once the informer has seen the delete (on its own thread;
      // the re-evaluation it asks for is a task on the test's scheduler): its condition series go.
      await()
          .atMost(WAIT)
          .until(
              () -> {
                scheduler.runDue();
                return !metrics().containsKey(condition("Connected", "False"));
              });
      Map<String, Double> wiped = metrics();
      assertThat(wiped)
          .containsEntry("dra_agent_resourceslice_wipes_total{result=\"deleted\"}", 1.0)
          .containsEntry("dra_agent_resourceslice_wipes_total{result=\"failed\"}", 0.0)
          .containsEntry("dra_agent_resourceslices_deleted_total", 1.0)
          .containsEntry("dra_agent_wipe_duration_seconds_count", 1.0)
          .containsEntry("dra_agent_resourceslice_wipes_pending", 0.0)
          .doesNotContainKey(WIPE_FAILURES)
          .containsEntry("dra_agent_registrations_total{result=\"accepted\"}", 1.0);
      assertThat(status("/actuator/health/liveness")).isEqualTo("UP");
      assertThat(status("/actuator/health/readiness")).isEqualTo("UP");
      assertThat(component("draPlugins").get("status").asString()).isEqualTo("UP");
      assertThat(pluginCounts()).isEqualTo(List.of(0, 0));
    }
  }

  private static String condition(String type, String status) {
    return "dra_agent_driver_condition{condition=\""
        + type
        + "\",driver=\""
        + DRIVER
        + "\",status=\""
        + status
        + "\"}";
  }

  private static List<ResourceSlice> slicesOf(KubernetesClient client) {
    return client.resources(ResourceSlice.class).list().getItems().stream()
        .filter(s -> DRIVER.equals(s.getSpec().getDriver()))
        .toList();
  }

  private String get(String path) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(WAIT)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return response.body();
  }

  private String status(String path) throws Exception {
    return JSON.readTree(get(path)).get("status").asString();
  }

  private JsonNode component(String name) throws Exception {
    JsonNode component = JSON.readTree(get("/actuator/health")).path("components").path(name);
    assertThat(component.isMissingNode()).as("health component %s", name).isFalse();
    return component;
  }

  /** The {@code draPlugins} component's details: drivers, usable. */
  private List<Integer> pluginCounts() throws Exception {
    JsonNode details = component("draPlugins").get("details");
    return List.of(details.get("drivers").asInt(), details.get("usable").asInt());
  }

  private static final Pattern SAMPLE =
      Pattern.compile("^(dra_agent_[a-z_]+)(?:\\{(.*)\\})? (\\S+)$", Pattern.MULTILINE);

  /**
   * The agent's samples by name and labels, e.g. {@code dra_agent_registrations_total{result=
   * "accepted"}}. Every sample carries the common tag {@code node}, checked here and left out of
   * the key.
   */
  private Map<String, Double> metrics() throws Exception {
    Map<String, Double> samples = new LinkedHashMap<>();
    Matcher m = SAMPLE.matcher(get("/actuator/prometheus"));
    while (m.find()) {
      String labels = m.group(2) == null ? "" : m.group(2);
      assertThat(labels).as(m.group()).contains("node=\"" + NODE + "\"");
      String rest =
          labels.replace("node=\"" + NODE + "\"", "").replaceAll("^,|,$", "").replace(",,", ",");
      samples.put(
          m.group(1) + (rest.isEmpty() ? "" : "{" + rest + "}"), Double.parseDouble(m.group(3)));
    }
    assertThat(samples).as("the agent's metrics").isNotEmpty();
    return samples;
  }
}
