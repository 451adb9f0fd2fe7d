package io.dranode.agent.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.api.v1.Driver;
import io.dranode.agent.api.v1.EventType;
import io.dranode.agent.api.v1.GetPluginRequest;
import io.dranode.agent.api.v1.InspectionGrpc;
import io.dranode.agent.api.v1.ListCleanupsRequest;
import io.dranode.agent.api.v1.ListCleanupsResponse;
import io.dranode.agent.api.v1.ListDeviceHealthRequest;
import io.dranode.agent.api.v1.ListPluginsRequest;
import io.dranode.agent.api.v1.ListPluginsResponse;
import io.dranode.agent.api.v1.PluginEvent;
import io.dranode.agent.api.v1.WatchPluginsRequest;
import io.dranode.agent.api.v1.WipeResult;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.event.EventFeed;
import io.dranode.agent.event.EventStreams;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.testing.EventLoops;
import io.dranode.agent.testing.FakePlugin;
import io.dranode.agent.testing.GrpcReflection;
import io.dranode.agent.testing.PluginHealth.Device;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The whole agent, without an API server, asked through the in-process gRPC transport. */
@EnabledOnOs(OS.LINUX)
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "dra.agent.node-name=worker",
      "spring.grpc.server.port=0",
      "spring.grpc.server.inprocess.name=" + InspectionServiceTest.IN_PROCESS,
      "dra.agent.wipe.delay=1h",
      // Spring gRPC's health schedule runs often here, to show it leaves "" alone.
      "spring.grpc.server.health.schedule.delay=50ms",
      "spring.grpc.server.health.schedule.period=50ms"
    })
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class InspectionServiceTest {

  static final String IN_PROCESS = "inspection-test";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ALWAYS)
  static Path root;

  private static EventLoops pluginLoops;

  @Autowired PluginStore store;
  @Autowired EventBus events;
  @Autowired InspectionService service;
  @Autowired EventStreams streams;
  @Autowired ApplicationContext context;

  private ManagedChannel channel;
  private InspectionGrpc.InspectionBlockingStub inspection;
  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  static {
    OfflineAgent.noApiServer();
  }

  /** A component that is down but says nothing about readiness: gRPC health must ignore it. */
  @TestConfiguration(proxyBeanMethods = false)
  static class DownComponent {
    @Bean
    HealthIndicator somethingDown() {
      return () -> Health.down().withDetail("why", "test").build();
    }
  }

  @DynamicPropertySource
  static void kubeletRoot(DynamicPropertyRegistry registry) {
    registry.add("dra.agent.kubelet-root-dir", () -> root.toString());
  }

  @BeforeAll
  static void startPluginLoop() {
    pluginLoops = EventLoops.start(1, "test-plugin");
  }

  @AfterAll
  static void stopPluginLoop() {
    pluginLoops.close();
  }

  @BeforeEach
  void connect() {
    channel = InProcessChannelBuilder.forName(IN_PROCESS).directExecutor().build();
    inspection = InspectionGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  @AfterEach
  void disconnect() throws Exception {
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private String endpoint(String name) throws Exception {
    Path dir = Files.createDirectories(root.resolve("plugins").resolve(name));
    return dir.resolve("dra.sock").toString();
  }

  private FakePlugin plugin(String endpoint, boolean v1) throws Exception {
    FakePlugin plugin =
        FakePlugin.at(Path.of(endpoint), pluginLoops.group()).health(v1, false).start();
    closeAfter.add(plugin);
    return plugin;
  }

  private void register(String driver, String endpoint, @Nullable String healthService) {
    store.register(
        driver,
        endpoint,
        root.resolve("plugins_registry").resolve(driver + ".sock"),
        "v1.DRAPlugin",
        healthService);
    closeAfter.add(() -> store.deregister(driver, endpoint, "test over"));
  }

  @Test
  void listPluginsShowsNodeDriversInstancesPendingWipesAndRejections() throws Exception {
    // Nothing listens on the endpoint: the driver becomes unusable and a wipe is queued.
    String endpoint = endpoint("list");
    register("list.example.com", endpoint, null);
    Path refused = root.resolve("plugins_registry").resolve("refused.sock");
    store.reject(new Rejection(refused, "Bad", "invalid DRA driver name", 2, Instant.EPOCH, false));
    closeAfter.add(() -> store.forgetSocket(refused));

    await()
        .atMost(WAIT)
        .until(
            () ->
                inspection
                    .getPlugin(GetPluginRequest.newBuilder().setDriver("list.example.com").build())
                    .hasPendingWipe());

    ListPluginsResponse plugins = inspection.listPlugins(ListPluginsRequest.getDefaultInstance());
    assertThat(plugins.getNode()).isEqualTo("worker");
    assertThat(plugins.getMode()).isEqualTo("registrar");
    Driver driver =
        plugins.getDriversList().stream()
            .filter(d -> d.getDriver().equals("list.example.com"))
            .findFirst()
            .orElseThrow();
    assertThat(driver.getUsable()).isFalse();
    assertThat(driver.getActiveEndpoint()).isEqualTo(endpoint);
    assertThat(driver.getInstancesList())
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.getEndpoint()).isEqualTo(endpoint);
              assertThat(i.getService()).isEqualTo("v1.DRAPlugin");
              assertThat(i.getHealthService()).isEmpty();
              assertThat(i.getConnected()).isFalse();
              assertThat(i.hasRegisteredAt()).isTrue();
            });
    assertThat(driver.getPendingWipe().getDueAt().getSeconds())
        .isGreaterThan(Instant.now().plus(Duration.ofMinutes(59)).getEpochSecond());
    assertThat(plugins.getRejectedList())
        .anySatisfy(
            r -> {
              assertThat(r.getSocket()).isEqualTo(refused.toString());
              assertThat(r.getDriver()).isEqualTo("Bad");
              assertThat(r.getReason()).isEqualTo("invalid DRA driver name");
              assertThat(r.getAttempts()).isEqualTo(2);
            });
  }

  @Test
  void getPluginAnswersNotFoundForAnUnknownDriverAndInvalidArgumentForABadName() {
    assertThatThrownBy(
            () ->
                inspection.getPlugin(
                    GetPluginRequest.newBuilder().setDriver("nope.example.com").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    for (String bad : List.of("", "Upper.example.com", "../evil", "evil driver", "a".repeat(64))) {
      assertThatThrownBy(
              () -> inspection.getPlugin(GetPluginRequest.newBuilder().setDriver(bad).build()))
          .as("driver name '%s'", bad)
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }
  }

  @Test
  void watchPluginsStreamsARegisterDeregisterCycleAndUnsubscribesOnCancel() throws Exception {
    Context.CancellableContext call = Context.current().withCancellation();
    closeAfter.add(() -> call.cancel(null));
    Iterator<PluginEvent> stream =
        call.call(() -> inspection.watchPlugins(WatchPluginsRequest.getDefaultInstance()));
    await().atMost(WAIT).until(() -> streams.count() == 1);

    String endpoint = endpoint("watch");
    store.register(
        "watch.example.com",
        endpoint,
        root.resolve("plugins_registry/w.sock"),
        "v1.DRAPlugin",
        null);
    store.deregister("watch.example.com", endpoint, "socket removed");

    List<PluginEvent> seen = new ArrayList<>();
    while (seen.stream().noneMatch(e -> e.getType() == EventType.EVENT_TYPE_DEREGISTERED)) {
      PluginEvent event = stream.next();
      if (event.getDriver().equals("watch.example.com")) {
        seen.add(event);
      }
    }
    assertThat(seen.get(0).getType()).isEqualTo(EventType.EVENT_TYPE_REGISTERED);
    assertThat(seen.get(0).getEndpoint()).isEqualTo(endpoint);
    assertThat(seen.get(0).getDetail()).contains("v1.DRAPlugin");
    assertThat(seen.get(0).hasTime()).isTrue();
    assertThat(seen.get(seen.size() - 1).getDetail()).isEqualTo("socket removed");

    call.cancel(null);
    await().atMost(WAIT).until(() -> streams.count() == 0);
  }

  @Test
  void aWatcherThatCannotKeepUpIsDroppedWithResourceExhausted() {
    AtomicReference<ClientCallStreamObserver<WatchPluginsRequest>> requests =
        new AtomicReference<>();
    CompletableFuture<Status> closed = new CompletableFuture<>();
    List<PluginEvent> received = new CopyOnWriteArrayList<>();
    InspectionGrpc.newStub(channel)
        .watchPlugins(
            WatchPluginsRequest.getDefaultInstance(),
            new ClientResponseObserver<WatchPluginsRequest, PluginEvent>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<WatchPluginsRequest> r) {
                r.disableAutoRequestWithInitial(0); // a client that reads nothing
                requests.set(r);
              }

              @Override
              public void onNext(PluginEvent value) {
                received.add(value);
              }

              @Override
              public void onError(Throwable t) {
                closed.complete(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                closed.complete(Status.OK);
              }
            });
    await().atMost(WAIT).until(() -> streams.count() == 1);

    // The publisher is never blocked, however many events the watcher misses.
    for (int i = 0; i < EventFeed.CAPACITY + 10; i++) {
      events.publish(
          new AgentEvent(AgentEvent.Type.WIPED, Instant.now(), "flood.example.com", null, "#" + i));
    }
    Objects.requireNonNull(requests.get()).request(Integer.MAX_VALUE);

    Status status = closed.orTimeout(20, TimeUnit.SECONDS).join();
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(received).isEmpty();
    await().atMost(WAIT).until(() -> streams.count() == 0);
  }

  @Test
  void listCleanupsShowsPendingWipesAndRecentOnes() throws Exception {
    String endpoint = endpoint("cleanup");
    register("cleanup.example.com", endpoint, null);
    await()
        .atMost(WAIT)
        .until(
            () ->
                inspection
                    .listCleanups(ListCleanupsRequest.getDefaultInstance())
                    .getPendingList()
                    .stream()
                    .anyMatch(p -> p.getDriver().equals("cleanup.example.com")));

    // The driver's endpoint comes alive: it becomes usable and the wipe is cancelled.
    plugin(endpoint, false);

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              ListCleanupsResponse cleanups =
                  inspection.listCleanups(ListCleanupsRequest.getDefaultInstance());
              assertThat(cleanups.getPendingList())
                  .noneMatch(p -> p.getDriver().equals("cleanup.example.com"));
              assertThat(cleanups.getRecentList())
                  .anySatisfy(
                      r -> {
                        assertThat(r.getDriver()).isEqualTo("cleanup.example.com");
                        assertThat(r.getResult()).isEqualTo(WipeResult.WIPE_RESULT_CANCELLED);
                        assertThat(r.getDeleted()).isZero();
                        assertThat(r.hasFinishedAt()).isTrue();
                      });
            });
  }

  @Test
  void listDeviceHealthShowsWhatTheDriverStreams() throws Exception {
    String endpoint = endpoint("health");
    FakePlugin plugin = plugin(endpoint, true);
    plugin
        .health()
        .publish(List.of(Device.healthy("gpu-0"), Device.unhealthy("gpu-1", "ECC errors")));
    register("health.example.com", endpoint, "v1.DRAResourceHealth");

    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(
                        inspection
                            .listDeviceHealth(ListDeviceHealthRequest.getDefaultInstance())
                            .getDevicesList())
                    .filteredOn(d -> d.getDriver().equals("health.example.com"))
                    .extracting(d -> d.getDevice() + "=" + d.getHealth() + ":" + d.getMessage())
                    .containsExactly(
                        "gpu-0=DEVICE_HEALTH_HEALTHY:",
                        "gpu-1=DEVICE_HEALTH_UNHEALTHY:ECC errors"));
  }

  @Test
  void theGrpcHealthStatusFollowsReadiness() {
    HealthGrpc.HealthBlockingStub health =
        HealthGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    HealthCheckRequest server = HealthCheckRequest.getDefaultInstance();
    HealthCheckRequest inspectionService =
        HealthCheckRequest.newBuilder().setService(InspectionGrpc.SERVICE_NAME).build();
    // Ready, although a health component is down, and Spring gRPC's schedule (every 50 ms here)
    // would map the overall health (DOWN) onto "".
    await()
        .during(Duration.ofMillis(500))
        .atMost(WAIT)
        .until(() -> health.check(server).getStatus() == ServingStatus.SERVING);
    assertThat(health.check(inspectionService).getStatus()).isEqualTo(ServingStatus.SERVING);

    try {
      AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
      assertThat(health.check(server).getStatus()).isEqualTo(ServingStatus.NOT_SERVING);
      await()
          .during(Duration.ofMillis(500))
          .atMost(WAIT)
          .until(() -> health.check(server).getStatus() == ServingStatus.NOT_SERVING);
      assertThat(health.check(inspectionService).getStatus()).isEqualTo(ServingStatus.NOT_SERVING);
    } finally {
      AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
    }
    assertThat(health.check(server).getStatus()).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void reflectionListsTheInspectionAndHealthServices() {
    CompletableFuture<List<String>> services =
        GrpcReflection.listServices(ServerReflectionGrpc.newStub(channel));

    assertThat(services.orTimeout(20, TimeUnit.SECONDS).join())
        .contains(
            InspectionGrpc.SERVICE_NAME,
            HealthGrpc.SERVICE_NAME,
            ServerReflectionGrpc.SERVICE_NAME);
  }
}
