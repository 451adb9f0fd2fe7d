package io.dranode.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.proto.dra.v1.Claim;
import io.dranode.agent.proto.dra.v1.DRAPluginGrpc;
import io.dranode.agent.proto.dra.v1.Device;
import io.dranode.agent.proto.dra.v1.NodePrepareResourcesRequest;
import io.dranode.agent.proto.dra.v1.NodePrepareResourcesResponse;
import io.dranode.agent.proto.dra.v1.NodeUnprepareResourcesRequest;
import io.dranode.agent.proto.dra.v1.NodeUnprepareResourcesResponse;
import io.dranode.agent.proto.drahealth.v1.DRAResourceHealthGrpc;
import io.dranode.agent.proto.drahealth.v1.DeviceHealth;
import io.dranode.agent.proto.drahealth.v1.HealthStatus;
import io.dranode.agent.proto.drahealth.v1.NodeWatchResourcesRequest;
import io.dranode.agent.proto.drahealth.v1.NodeWatchResourcesResponse;
import io.dranode.agent.proto.pluginregistration.InfoRequest;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.proto.pluginregistration.RegistrationGrpc;
import io.dranode.agent.testing.EventLoops;
import io.dranode.agent.testing.Notification;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example driver over real Unix sockets, with a plain grpc-java client as the registrar. Its
 * ResourceSlice is tested in {@link ExampleDriverSliceTest}.
 */
class ExampleDriverTest {

  static final String DRIVER = "gpu.example.com";
  static final String POD_UID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
  static final Duration WAIT = Duration.ofSeconds(5);

  static @Nullable EventLoops clientLoops;

  @TempDir(cleanup = CleanupMode.ALWAYS, factory = ShortTempDir.class)
  Path root;

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<ExampleDriver> drivers = new ArrayList<>();

  @BeforeAll
  static void startClientLoops() {
    clientLoops = EventLoops.start(1, "test-client");
  }

  @AfterAll
  static void stopClientLoops() {
    Objects.requireNonNull(clientLoops).close();
  }

  @AfterEach
  void stopEverything() {
    channels.forEach(ManagedChannel::shutdownNow);
    drivers.forEach(ExampleDriver::close);
  }

  // --- registration service ---

  @Test
  void getInfoDescribesTheDriverAndItsDraEndpoint() throws IOException {
    ExampleDriver driver = started(config());

    PluginInfo info = registration(driver).getInfo(InfoRequest.getDefaultInstance());

    assertThat(info.getType()).isEqualTo("DRAPlugin");
    assertThat(info.getName()).isEqualTo(DRIVER);
    assertThat(info.getEndpoint()).isEqualTo(driver.draSocket().toString());
    assertThat(info.getSupportedVersionsList())
        .containsExactly("v1.DRAPlugin", "v1beta1.DRAPlugin", "v1.DRAResourceHealth");
    assertThat(driver.getInfoCount()).isEqualTo(1);
    assertThat(driver.registrationStatusCount()).isZero();
  }

  @Test
  void advertisesTheConfiguredTypeAndServicesAndServesOnlyThose() throws IOException {
    ExampleDriver driver =
        started(
            config()
                .withPluginType("CSIPlugin")
                .withSupportedServices(List.of("v1beta1.DRAPlugin", "v1alpha1.DRAResourceHealth")));

    PluginInfo info = registration(driver).getInfo(InfoRequest.getDefaultInstance());

    assertThat(info.getType()).isEqualTo("CSIPlugin");
    assertThat(info.getSupportedVersionsList())
        .containsExactly("v1beta1.DRAPlugin", "v1alpha1.DRAResourceHealth");
    assertThat(draV1beta1(driver).nodePrepareResources(v1beta1Prepare("c-1")).getClaimsMap())
        .containsKey("c-1");
    assertThatThrownBy(() -> draV1(driver).nodePrepareResources(prepare()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
  }

  @Test
  void registrationStatusIsRecordedCountedAndSignalled() throws Exception {
    ExampleDriver driver = new ExampleDriver(config());
    List<Notification> heard = new CopyOnWriteArrayList<>();
    driver.addRegistrationListener(heard::add);
    track(driver).start();
    long before = System.nanoTime();

    assertThat(driver.awaitRegistered(Duration.ofMillis(50))).isFalse();
    assertThat(driver.lastRegistrationStatus()).isEmpty();
    registration(driver).notifyRegistrationStatus(status(true, ""));

    assertThat(driver.awaitRegistered(WAIT)).isTrue();
    assertThat(driver.registrationStatusCount()).isEqualTo(1);
    assertThat(driver.lastRegistrationStatus())
        .hasValueSatisfying(s -> assertThat(s.registered()).isTrue());
    assertThat(heard)
        .singleElement()
        .satisfies(s -> assertThat(s.receivedNanos()).isGreaterThan(before));
  }

  @Test
  void refusalIsRecordedAndAnsweredWithTheHelpersError() throws Exception {
    ExampleDriver driver = started(config());
    RegistrationGrpc.RegistrationBlockingStub registrar = registration(driver);
    registrar.notifyRegistrationStatus(status(true, ""));

    assertThatThrownBy(() -> registrar.notifyRegistrationStatus(status(false, "Too long")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("failed registration process: Too long");
            });
    assertThat(driver.registrationStatusCount()).isEqualTo(2);
    assertThat(driver.lastRegistrationStatus())
        .hasValueSatisfying(
            s -> {
              assertThat(s.registered()).isFalse();
              assertThat(s.error()).isEqualTo("Too long");
            });
    assertThat(driver.awaitRegistered(Duration.ofMillis(50))).isFalse();
  }

  // --- DRA service ---

  @Test
  void v1PrepareGivesEachClaimOneDeviceRoundRobinAndKeepsIt() throws IOException {
    ExampleDriver driver =
        started(
            ExampleDriverConfig.of(DRIVER, root, 2, "node-a")
                .withSupportedServices(List.of("v1.DRAPlugin")));
    DRAPluginGrpc.DRAPluginBlockingStub dra = draV1(driver);

    NodePrepareResourcesResponse first = dra.nodePrepareResources(prepare("a", "b", "c"));
    NodePrepareResourcesResponse again = dra.nodePrepareResources(prepare("a"));

    assertThat(deviceOf(first, "a")).isEqualTo("dev-0");
    assertThat(deviceOf(first, "b")).isEqualTo("dev-1");
    assertThat(deviceOf(first, "c")).isEqualTo("dev-0");
    assertThat(deviceOf(again, "a")).as("a retried claim keeps its device").isEqualTo("dev-0");
    Device device = first.getClaimsOrThrow("b").getDevices(0);
    assertThat(device.getPoolName()).isEqualTo("node-a");
    assertThat(device.getCdiDeviceIdsList()).containsExactly("gpu.example.com/device=dev-1");
    assertThat(first.getClaimsOrThrow("b").getError()).isEmpty();

    NodeUnprepareResourcesResponse unprepared =
        dra.nodeUnprepareResources(
            NodeUnprepareResourcesRequest.newBuilder()
                .addClaims(claim("a"))
                .addClaims(claim("never-prepared"))
                .build());
    assertThat(unprepared.getClaimsMap()).containsOnlyKeys("a", "never-prepared");
    assertThat(unprepared.getClaimsMap().values())
        .allSatisfy(r -> assertThat(r.getError()).isEmpty());
    assertThat(driver.preparedClaims()).isEqualTo(Map.of("b", "dev-1", "c", "dev-0"));
    assertThat(driver.prepareCount()).isEqualTo(2);
    assertThat(driver.unprepareCount()).isEqualTo(1);
  }

  @Test
  void v1beta1PrepareAndUnprepareWork() throws IOException {
    ExampleDriver driver = started(config().withSupportedServices(List.of("v1beta1.DRAPlugin")));
    var dra = draV1beta1(driver);

    var answer = dra.nodePrepareResources(v1beta1Prepare("x"));
    var unprepared =
        dra.nodeUnprepareResources(
            io.dranode.agent.proto.dra.v1beta1.NodeUnprepareResourcesRequest.newBuilder()
                .addClaims(io.dranode.agent.proto.dra.v1beta1.Claim.newBuilder().setUid("x"))
                .build());

    var device = answer.getClaimsOrThrow("x").getDevices(0);
    assertThat(device.getDeviceName()).isEqualTo("dev-0");
    assertThat(device.getPoolName()).isEqualTo("node-a");
    assertThat(device.getCdiDeviceIdsList()).containsExactly("gpu.example.com/device=dev-0");
    assertThat(unprepared.getClaimsOrThrow("x").getError()).isEmpty();
    assertThat(driver.preparedClaims()).isEmpty();
  }

  @Test
  void anEmptyClaimListGetsAnEmptyAnswerAndChangesNothing() throws IOException {
    ExampleDriver driver = started(config());

    NodePrepareResourcesResponse v1 = draV1(driver).nodePrepareResources(prepare());
    var v1beta1 =
        draV1beta1(driver)
            .nodePrepareResources(
                io.dranode.agent.proto.dra.v1beta1.NodePrepareResourcesRequest
                    .getDefaultInstance());

    assertThat(v1.getClaimsCount()).isZero();
    assertThat(v1beta1.getClaimsCount()).isZero();
    assertThat(driver.prepareCount()).isEqualTo(2);
    assertThat(driver.preparedClaims()).isEmpty();
  }

  // --- device health ---

  @Test
  void healthStreamSendsEveryDeviceAtOnceThenEachChange() throws IOException {
    long start = Instant.now().getEpochSecond();
    ExampleDriver driver = started(config());
    HealthWatch watch = watchV1(driver);

    await().atMost(WAIT).until(() -> !watch.messages.isEmpty());
    NodeWatchResourcesResponse first = watch.messages.get(0);
    assertThat(first.getDevicesList())
        .extracting(d -> d.getDevice().getDeviceName())
        .containsExactly("dev-0", "dev-1", "dev-2");
    assertThat(first.getDevicesList())
        .allSatisfy(
            d -> {
              assertThat(d.getHealth()).isEqualTo(HealthStatus.HEALTHY);
              assertThat(d.getDevice().getPoolName()).isEqualTo("node-a");
              assertThat(d.getHealthCheckTimeoutSeconds()).isEqualTo(30);
              assertThat(d.getLastUpdatedTime())
                  .isBetween(start - 1, Instant.now().getEpochSecond() + 1);
            });
    assertThat(driver.healthStreamCount()).isEqualTo(1);

    driver.setHealthy("dev-1", false, "ECC errors");

    await().atMost(WAIT).until(() -> watch.messages.size() >= 2);
    NodeWatchResourcesResponse changed = watch.messages.get(watch.messages.size() - 1);
    assertThat(changed.getDevicesList())
        .extracting(DeviceHealth::getHealth)
        .containsExactly(HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, HealthStatus.HEALTHY);
    assertThat(changed.getDevices(1).getMessage()).isEqualTo("ECC errors");
  }

  @Test
  void v1alpha1HealthStreamReportsTheSameChange() throws IOException {
    ExampleDriver driver =
        started(
            config().withSupportedServices(List.of("v1.DRAPlugin", "v1alpha1.DRAResourceHealth")));
    List<io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesResponse> messages =
        new CopyOnWriteArrayList<>();
    io.dranode.agent.proto.drahealth.v1alpha1.DRAResourceHealthGrpc.newStub(
            channel(driver.draSocket()))
        .nodeWatchResources(
            io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesRequest
                .getDefaultInstance(),
            collector(messages, new AtomicBoolean(), new AtomicReference<>()));
    await().atMost(WAIT).until(() -> driver.healthStreamCount() == 1);

    driver.setHealthy("dev-2", false, "fell off the bus");

    await()
        .atMost(WAIT)
        .until(
            () ->
                messages.stream()
                    .anyMatch(
                        m ->
                            m.getDevices(2).getHealth()
                                == io.dranode.agent.proto.drahealth.v1alpha1.HealthStatus
                                    .UNHEALTHY));
  }

  @Test
  void healthIsResentPeriodicallyWithoutChanges() throws IOException {
    ExampleDriver driver = started(config().withHealthResendInterval(Duration.ofMillis(100)));
    HealthWatch watch = watchV1(driver);

    await().atMost(WAIT).until(() -> watch.messages.size() >= 3);
    assertThat(watch.messages)
        .allSatisfy(m -> assertThat(m.getDevicesList()).hasSize(3))
        .allSatisfy(
            m ->
                assertThat(m.getDevicesList())
                    .allSatisfy(d -> assertThat(d.getHealth()).isEqualTo(HealthStatus.HEALTHY)));
  }

  @Test
  void unknownDevicesAreRefused() throws IOException {
    ExampleDriver driver = started(config());

    assertThatThrownBy(() -> driver.setHealthy("dev-9", false, "?"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dev-9");
  }

  @Test
  void closeCompletesHealthStreamsButCrashCutsThem() throws IOException {
    ExampleDriver closing = started(config());
    HealthWatch closed = watchV1(closing);
    await().atMost(WAIT).until(() -> closing.healthStreamCount() == 1);
    closing.close();
    await().atMost(WAIT).untilTrue(closed.completed);
    assertThat(closed.error.get()).isNull();

    ExampleDriver crashing = started(config());
    HealthWatch cut = watchV1(crashing);
    await().atMost(WAIT).until(() -> crashing.healthStreamCount() == 1);
    crashing.crash();
    await().atMost(WAIT).until(() -> cut.error.get() != null);
    assertThat(cut.completed).isFalse();
  }

  // --- sockets ---

  @Test
  void socketsAreNamedLikeTheHelperLibrary() throws IOException {
    ExampleDriver driver = started(config());

    assertThat(driver.registrationSocket())
        .isEqualTo(root.resolve("plugins_registry/gpu.example.com-reg.sock"));
    assertThat(driver.draSocket()).isEqualTo(root.resolve("plugins/gpu.example.com/dra.sock"));
    assertThat(isSocket(driver.registrationSocket())).isTrue();
    assertThat(isSocket(driver.draSocket())).isTrue();
  }

  @Test
  void rollingUpdateInstancesPutThePodUidInBothNamesAndRunSideBySide() throws IOException {
    ExampleDriver old = started(config().withPodUid(POD_UID));
    ExampleDriver next = started(config().withPodUid("11111111-2222-3333-4444-555555555555"));

    assertThat(old.registrationSocket())
        .isEqualTo(root.resolve("plugins_registry/gpu.example.com-" + POD_UID + "-reg.sock"));
    assertThat(old.draSocket())
        .isEqualTo(root.resolve("plugins/gpu.example.com/dra-" + POD_UID + ".sock"));
    assertThat(registration(old).getInfo(InfoRequest.getDefaultInstance()).getEndpoint())
        .isEqualTo(old.draSocket().toString());
    assertThat(registration(next).getInfo(InfoRequest.getDefaultInstance()).getEndpoint())
        .isEqualTo(next.draSocket().toString())
        .isNotEqualTo(old.draSocket().toString());
  }

  @Test
  void rollingUpdateRegistrationNamesShortenLikeTheHelpersWhenTheFullUidDoesNotFit() {
    // 60 + 1 + 61 bytes would not fit, the 8-byte hash does; at 71 only the dra-<16 bytes> form.
    Path medium = Path.of("/" + "r".repeat(59));
    Path longer = Path.of("/" + "r".repeat(70));
    Path tooLong = Path.of("/" + "r".repeat(71));

    assertThat(
            SocketPaths.registrationFileName(
                Path.of("/var/lib/kubelet/plugins_registry"), DRIVER, POD_UID))
        .isEqualTo("gpu.example.com-" + POD_UID + "-reg.sock");
    assertThat(SocketPaths.registrationFileName(medium, DRIVER, POD_UID))
        .isEqualTo("gpu.example.com-FjYvVmOHs88-reg.sock");
    assertThat(SocketPaths.registrationFileName(longer, DRIVER, POD_UID))
        .isEqualTo("dra-aNG6tkuVXS9GUADb17R4eg-reg.sock");
    assertThat(longer.resolve("dra-aNG6tkuVXS9GUADb17R4eg-reg.sock").toString()).hasSize(107);
    assertThat(
            SocketPaths.fits(
                tooLong.resolve(SocketPaths.registrationFileName(tooLong, DRIVER, POD_UID))))
        .isFalse();
  }

  @Test
  void socketPathsThatDoNotFitFailFastWithAClearMessage() {
    Path deep = Path.of("/tmp/" + "x".repeat(80));

    assertThatThrownBy(() -> new ExampleDriver(ExampleDriverConfig.of(DRIVER, deep, 1, "n")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must stay under 108 bytes")
        .hasMessageContaining(deep.toString());
    assertThat(deep).doesNotExist();
  }

  @Test
  void closeRemovesBothSocketsAndLeavesNothingBehind() throws IOException {
    ExampleDriver driver = started(config());

    driver.close();

    assertThat(driver.registrationSocket()).doesNotExist();
    assertThat(driver.draSocket()).doesNotExist();
    assertThat(files(root.resolve("plugins_registry"))).isEmpty();
    assertThat(files(root.resolve("plugins/gpu.example.com"))).isEmpty();
  }

  @Test
  void crashLeavesDeadSocketsThatTheNextInstanceReplaces() throws IOException {
    ExampleDriver crashed = started(config());
    crashed.crash();

    assertThat(isSocket(crashed.registrationSocket())).isTrue();
    assertThat(isSocket(crashed.draSocket())).isTrue();
    assertThat(files(root.resolve("plugins_registry")))
        .containsExactly(crashed.registrationSocket());
    assertThatThrownBy(() -> registration(crashed).getInfo(InfoRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));

    ExampleDriver restarted = started(config());
    assertThat(registration(restarted).getInfo(InfoRequest.getDefaultInstance()).getName())
        .isEqualTo(DRIVER);
  }

  @Test
  void closeAndCrashStopEveryThreadTheDriverStarted() throws IOException {
    ExampleDriver closing = started(config());
    HealthWatch watch = watchV1(closing);
    await().atMost(WAIT).until(() -> !watch.messages.isEmpty());
    ExampleDriver crashing = started(config().withPodUid(POD_UID));
    assertThat(driverThreads()).isNotEmpty();

    closing.close();
    crashing.crash();

    await().atMost(WAIT).until(() -> driverThreads().isEmpty());
  }

  @Test
  void aDriverStartsOnce() throws IOException {
    ExampleDriver driver = started(config());
    driver.close();

    assertThatThrownBy(driver::start).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(driver::crash).isInstanceOf(IllegalStateException.class);
  }

  // --- helpers ---

  private ExampleDriverConfig config() {
    return config("node-a");
  }

  private ExampleDriverConfig config(String node) {
    return ExampleDriverConfig.of(DRIVER, root, 3, node);
  }

  private ExampleDriver started(ExampleDriverConfig config) throws IOException {
    return track(new ExampleDriver(config)).start();
  }

  private ExampleDriver track(ExampleDriver driver) {
    drivers.add(driver);
    return driver;
  }

  private ManagedChannel channel(Path socket) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollDomainSocketChannel.class)
            .eventLoopGroup(loops())
            .usePlaintext()
            .overrideAuthority("localhost")
            .build();
    channels.add(channel);
    return channel;
  }

  private RegistrationGrpc.RegistrationBlockingStub registration(ExampleDriver driver) {
    return RegistrationGrpc.newBlockingStub(channel(driver.registrationSocket()))
        .withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private DRAPluginGrpc.DRAPluginBlockingStub draV1(ExampleDriver driver) {
    return DRAPluginGrpc.newBlockingStub(channel(driver.draSocket()))
        .withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private io.dranode.agent.proto.dra.v1beta1.DRAPluginGrpc.DRAPluginBlockingStub draV1beta1(
      ExampleDriver driver) {
    return io.dranode.agent.proto.dra.v1beta1.DRAPluginGrpc.newBlockingStub(
            channel(driver.draSocket()))
        .withDeadlineAfter(WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private HealthWatch watchV1(ExampleDriver driver) {
    HealthWatch watch = new HealthWatch();
    DRAResourceHealthGrpc.newStub(channel(driver.draSocket()))
        .nodeWatchResources(
            NodeWatchResourcesRequest.getDefaultInstance(),
            collector(watch.messages, watch.completed, watch.error));
    return watch;
  }

  private static final class HealthWatch {
    final List<NodeWatchResourcesResponse> messages = new CopyOnWriteArrayList<>();
    final AtomicBoolean completed = new AtomicBoolean();
    final AtomicReference<@Nullable Throwable> error = new AtomicReference<>();
  }

  private static <T> StreamObserver<T> collector(
      List<T> messages, AtomicBoolean completed, AtomicReference<@Nullable Throwable> error) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        messages.add(value);
      }

      @Override
      public void onError(Throwable t) {
        error.set(t);
      }

      @Override
      public void onCompleted() {
        completed.set(true);
      }
    };
  }

  private static io.dranode.agent.proto.pluginregistration.RegistrationStatus status(
      boolean registered, String error) {
    return io.dranode.agent.proto.pluginregistration.RegistrationStatus.newBuilder()
        .setPluginRegistered(registered)
        .setError(error)
        .build();
  }

  private static Claim claim(String uid) {
    return Claim.newBuilder().setNamespace("default").setName("claim-" + uid).setUid(uid).build();
  }

  private static NodePrepareResourcesRequest prepare(String... uids) {
    NodePrepareResourcesRequest.Builder request = NodePrepareResourcesRequest.newBuilder();
    for (String uid : uids) {
      request.addClaims(claim(uid));
    }
    return request.build();
  }

  private static io.dranode.agent.proto.dra.v1beta1.NodePrepareResourcesRequest v1beta1Prepare(
      String uid) {
    return io.dranode.agent.proto.dra.v1beta1.NodePrepareResourcesRequest.newBuilder()
        .addClaims(
            io.dranode.agent.proto.dra.v1beta1.Claim.newBuilder()
                .setNamespace("default")
                .setName("claim-" + uid)
                .setUid(uid))
        .build();
  }

  private static String deviceOf(NodePrepareResourcesResponse response, String claimUid) {
    return response.getClaimsOrThrow(claimUid).getDevices(0).getDeviceName();
  }

  private static boolean isSocket(Path path) throws IOException {
    int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    return (mode & 0170000) == 0140000;
  }

  private static List<String> driverThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .map(Thread::getName)
        .filter(name -> name.startsWith("example-driver-"))
        .toList();
  }

  private static List<Path> files(Path folder) throws IOException {
    try (Stream<Path> entries = Files.list(folder)) {
      return entries.toList();
    }
  }

  private static EventLoopGroup loops() {
    return Objects.requireNonNull(clientLoops, "client event loops").group();
  }
}
