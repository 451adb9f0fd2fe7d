package io.dranode.agent.registration;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.Mode;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.config.TestChannels;
import io.dranode.agent.config.TestSchedulers;
import io.dranode.agent.config.UnixChannels;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.IgnoredSocket;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.proto.pluginregistration.RegistrationStatus;
import io.dranode.agent.testing.TestProperties;
import io.dranode.agent.watch.RegistryWatcher;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

/**
 * The handler against fake plugins that are real gRPC servers on Unix sockets. Sockets are reported
 * by calling the handler directly (the watcher has its own test), except in the one end-to-end
 * test.
 */
class RegistrationHandlerTest {

  /**
   * A fixed clock years ahead: timestamps are exact, and retries must be timed by the scheduler's
   * own clock, not by this one.
   */
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");

  private static final Duration WAIT = Duration.ofSeconds(5);

  private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
  private final List<AgentEvent> events = new CopyOnWriteArrayList<>();
  private final List<FakePlugin> fakes = new ArrayList<>();

  private Path root;
  private Path registry;
  private EventLoopGroup serverGroup;
  private ThreadPoolTaskExecutor grpcExecutor;
  private ThreadPoolTaskExecutor registrationExecutor;
  private ThreadPoolTaskExecutor watchExecutor;
  private ThreadPoolTaskScheduler scheduler;
  private UnixChannels channels;
  private PluginStore store;
  private @Nullable RegistrationHandler handler;
  private @Nullable RegistryWatcher watcher;

  @BeforeEach
  void setUp() throws IOException {
    // Unix socket paths must stay under 108 bytes: a short folder right under /tmp.
    root = Files.createTempDirectory(Path.of("/tmp"), "r");
    registry = Files.createDirectories(root.resolve("plugins_registry"));
    serverGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    grpcExecutor = pool("dra-grpc-", 2);
    registrationExecutor = pool("dra-register-", 4);
    watchExecutor = pool("dra-watch-", 1);
    scheduler = new ThreadPoolTaskScheduler();
    scheduler.setPoolSize(2);
    scheduler.setThreadNamePrefix("dra-scheduler-");
    scheduler.initialize();
    channels =
        TestChannels.create(
            new MultiThreadIoEventLoopGroup(
                2, new DefaultThreadFactory("dra-grpc-io", true), EpollIoHandler.newFactory()),
            grpcExecutor);
    EventBus bus = new EventBus();
    bus.subscribe(events::add);
    store = new PluginStore(bus, clock, List.of());
  }

  @AfterEach
  void tearDown() throws Exception {
    RegistryWatcher w = watcher;
    if (w != null) {
      w.stop();
    }
    RegistrationHandler h = handler;
    if (h != null) {
      h.stop();
    }
    for (FakePlugin fake : fakes) {
      fake.close();
    }
    watchExecutor.shutdown();
    registrationExecutor.shutdown();
    scheduler.shutdown();
    channels.close();
    grpcExecutor.shutdown();
    serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, SECONDS);
    try (Stream<Path> tree = Files.walk(root)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  // --- registrar ---

  @Test
  void aValidPluginIsRegisteredAndNotified() throws Exception {
    String endpoint = endpoint("gpu.example.com");
    FakePlugin gpu =
        serve(
            "gpu.example.com-reg.sock",
            dra("gpu.example.com", endpoint, "v1.DRAPlugin", "v1alpha1.DRAResourceHealth"));
    RegistrationHandler handler = start(Mode.REGISTRAR);

    handler.socketCreated(gpu.socket);

    DriverView view = awaitDriver("gpu.example.com");
    assertThat(view.instances())
        .containsExactly(
            new PluginInstance(
                "gpu.example.com",
                endpoint,
                gpu.socket,
                "v1.DRAPlugin",
                "v1alpha1.DRAResourceHealth",
                NOW,
                ConnectionState.CONNECTING));
    RegistrationStatus status = nextNotification(gpu);
    assertThat(status.getPluginRegistered()).isTrue();
    assertThat(status.getError()).isEmpty();
    assertThat(store.rejections()).isEmpty();
  }

  @Test
  void anInvalidDriverNameIsRefusedAndTheReasonSentBack() throws Exception {
    FakePlugin bad = serve("bad.sock", dra("Bad_Name", endpoint("bad"), "v1.DRAPlugin"));
    RegistrationHandler handler = start(Mode.REGISTRAR);

    handler.socketCreated(bad.socket);

    Rejection rejection = awaitRejection(bad.socket, r -> !r.retrying());
    assertThat(rejection.reason()).contains("invalid DRA driver name").contains("Bad_Name");
    assertThat(rejection.retrying()).isFalse();
    assertThat(rejection.attempts()).isEqualTo(1);
    assertThat(rejection.lastAttemptAt()).isEqualTo(NOW);
    RegistrationStatus status = nextNotification(bad);
    assertThat(status.getPluginRegistered()).isFalse();
    assertThat(status.getError()).isEqualTo(rejection.reason());
    assertThat(store.drivers()).isEmpty();
    assertThat(events)
        .extracting(AgentEvent::type, AgentEvent::endpoint)
        .containsExactly(tuple(AgentEvent.Type.REJECTED, bad.socket.toString()));
  }

  @Test
  void anEmptyEndpointMeansTheRegistrationSocket() throws Exception {
    FakePlugin plugin = serve("self.sock", dra("self.example.com", "", "v1beta1.DRAPlugin"));
    RegistrationHandler handler = start(Mode.REGISTRAR);

    handler.socketCreated(plugin.socket);

    DriverView view = awaitDriver("self.example.com");
    assertThat(view.activeEndpoint()).isEqualTo(plugin.socket.toString());
    assertThat(view.instances().get(0).service()).isEqualTo("v1beta1.DRAPlugin");
    assertThat(nextNotification(plugin).getPluginRegistered()).isTrue();
  }

  @Test
  void theSameEndpointFromASecondSocketIsRefused() throws Exception {
    String shared = endpoint("shared.example.com");
    FakePlugin first = serve("first.sock", dra("shared.example.com", shared, "v1.DRAPlugin"));
    FakePlugin second = serve("second.sock", dra("shared.example.com", shared, "v1.DRAPlugin"));
    RegistrationHandler handler = start(Mode.REGISTRAR);

    handler.socketCreated(first.socket);
    awaitDriver("shared.example.com");
    assertThat(nextNotification(first).getPluginRegistered()).isTrue();
    handler.socketCreated(second.socket);

    Rejection rejection = awaitRejection(second.socket, r -> !r.retrying());
    assertThat(rejection.reason()).contains("already registered");
    assertThat(rejection.driver()).isEqualTo("shared.example.com");
    assertThat(rejection.retrying()).isFalse();
    RegistrationStatus status = nextNotification(second);
    assertThat(status.getPluginRegistered()).isFalse();
    assertThat(status.getError()).isEqualTo(rejection.reason());
    assertThat(store.driver("shared.example.com").orElseThrow().instances())
        .extracting(PluginInstance::registrationSocket)
        .containsExactly(first.socket);
  }

  @Test
  void aRecreatedSocketReplacesItsOldRegistration() throws Exception {
    String oldEndpoint = endpoint("drv.example.com/old");
    String newEndpoint = endpoint("drv.example.com/new");
    FakePlugin old = serve("drv.sock", dra("drv.example.com", oldEndpoint, "v1.DRAPlugin"));
    RegistrationHandler handler = start(Mode.REGISTRAR);
    handler.socketCreated(old.socket);
    awaitDriver("drv.example.com");

    old.close();
    FakePlugin replacement = serve("drv.sock", dra("drv.example.com", newEndpoint, "v1.DRAPlugin"));
    handler.socketCreated(replacement.socket);

    await()
        .atMost(WAIT)
        .until(
            () ->
                store
                    .driver("drv.example.com")
                    .map(v -> v.instances().stream().map(PluginInstance::endpoint).toList())
                    .equals(Optional.of(List.of(newEndpoint))));
    assertThat(events)
        .extracting(AgentEvent::type, AgentEvent::endpoint)
        .containsExactly(
            tuple(AgentEvent.Type.REGISTERED, oldEndpoint),
            tuple(AgentEvent.Type.DEREGISTERED, oldEndpoint),
            tuple(AgentEvent.Type.REGISTERED, newEndpoint));
    assertThat(nextNotification(replacement).getPluginRegistered()).isTrue();
  }

  @Test
  void aRemovedSocketIsDeregistered() throws Exception {
    String endpoint = endpoint("gone.example.com");
    FakePlugin plugin = serve("gone.sock", dra("gone.example.com", endpoint, "v1.DRAPlugin"));
    FakePlugin bad = serve("bad.sock", dra("", endpoint, "v1.DRAPlugin"));
    RegistrationHandler handler = start(Mode.REGISTRAR);
    handler.socketCreated(plugin.socket);
    handler.socketCreated(bad.socket);
    awaitDriver("gone.example.com");
    awaitRejection(bad.socket, r -> !r.retrying());

    handler.socketRemoved(plugin.socket);
    handler.socketRemoved(bad.socket);

    // Deregistration is synchronous: no waiting.
    assertThat(store.drivers()).isEmpty();
    assertThat(store.rejections()).isEmpty();
    assertThat(events)
        .filteredOn(e -> e.type() == AgentEvent.Type.DEREGISTERED)
        .extracting(AgentEvent::endpoint, AgentEvent::detail)
        .containsExactly(tuple(endpoint, "registration socket removed"));
  }

  @Test
  void aHangingPluginIsRetriedWhileAnotherRegisters() throws Exception {
    FakePlugin slow = serve("slow.sock", dra("slow.example.com", endpoint("slow"), "v1.DRAPlugin"));
    slow.hang();
    FakePlugin quick =
        serve("quick.sock", dra("quick.example.com", endpoint("quick"), "v1.DRAPlugin"));
    RegistrationHandler handler = build(Mode.REGISTRAR, Duration.ofMillis(200));
    handler.start();

    handler.socketCreated(slow.socket);
    handler.socketCreated(quick.socket);

    awaitDriver("quick.example.com");
    assertThat(nextNotification(quick).getPluginRegistered()).isTrue();
    Rejection rejection = awaitRejection(slow.socket, r -> r.attempts() >= 3);
    assertThat(rejection.retrying()).isTrue();
    assertThat(rejection.reason()).contains("DEADLINE_EXCEEDED");
    assertThat(rejection.driver()).isNull();
    assertThat(slow.getInfoCalls.get()).isGreaterThanOrEqualTo(3);
    assertThat(store.driver("slow.example.com")).isEmpty();

    slow.answer(dra("slow.example.com", endpoint("slow-at-last"), "v1.DRAPlugin"));
    slow.release();

    DriverView view = awaitDriver("slow.example.com");
    assertThat(view.activeEndpoint()).isEqualTo(endpoint("slow-at-last"));
    assertThat(nextNotification(slow).getPluginRegistered()).isTrue();
    assertThat(store.rejections()).isEmpty();
  }

  @Test
  void aSocketWhoseServerListensLateIsRetriedQuicklyAndRegisters() throws Exception {
    Path socket = registry.resolve("late.sock");
    // The file of a socket nobody listens on: what the watcher sees between bind() and listen().
    try (ServerSocketChannel notYet = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      notYet.bind(UnixDomainSocketAddress.of(socket));
    }
    RetryRecorder retries = new RetryRecorder();
    {
      RegistrationHandler handler = build(Mode.REGISTRAR, Duration.ofSeconds(5), retries);
      handler.start();

      handler.socketCreated(socket);

      // The first dial was refused: a quick retry is due, well before the backoff's first 50 ms,
      // and a refused dial this early is not reported as a rejection.
      Retry retry = retries.next();
      assertThat(retry.delay()).isPositive().isLessThan(Duration.ofMillis(50));
      assertThat(store.rejections()).isEmpty();

      Files.delete(socket);
      FakePlugin late =
          serve("late.sock", dra("late.example.com", endpoint("late"), "v1.DRAPlugin"));
      retry.task().run();

      awaitDriver("late.example.com");
      assertThat(nextNotification(late).getPluginRegistered()).isTrue();
      assertThat(store.rejections()).isEmpty();
      assertThat(late.getInfoCalls.get()).isEqualTo(1);
    }
  }

  @Test
  void anOversizedAnswerIsRefusedAndTheReasonSentBack() throws Exception {
    // More than RegistrationClient.MAX_MESSAGE_BYTES: refused unread, not retried.
    FakePlugin big =
        serve("big.sock", dra("a".repeat(100 * 1024), endpoint("big"), "v1.DRAPlugin"));
    RegistrationHandler handler = start(Mode.REGISTRAR);

    handler.socketCreated(big.socket);

    Rejection rejection = awaitRejection(big.socket, r -> !r.retrying());
    assertThat(rejection.reason()).startsWith("RESOURCE_EXHAUSTED");
    assertThat(rejection.attempts()).isEqualTo(1);
    RegistrationStatus status = nextNotification(big);
    assertThat(status.getPluginRegistered()).isFalse();
    assertThat(status.getError()).isEqualTo(rejection.reason());
  }

  @Test
  void aPluginWithoutTheRegistrationServiceIsRefusedNotRetried() throws Exception {
    // A plain gRPC server (here: the fake of a DRA service socket) answers UNIMPLEMENTED.
    Path socket = registry.resolve("wrong.sock");
    Server other =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(serverGroup)
            .workerEventLoopGroup(serverGroup)
            .directExecutor()
            .build()
            .start();
    try {
      RegistrationHandler handler = start(Mode.REGISTRAR);

      handler.socketCreated(socket);

      Rejection rejection = awaitRejection(socket, r -> !r.retrying());
      assertThat(rejection.reason()).contains("UNIMPLEMENTED");
      assertThat(rejection.retrying()).isFalse();
      assertThat(rejection.attempts()).isEqualTo(1);
    } finally {
      other.shutdownNow().awaitTermination(5, SECONDS);
    }
  }

  // --- plugin types and modes ---

  @Test
  void theRegistrarRefusesACsiPluginWithAReason() throws Exception {
    FakePlugin csi = serve("csi.sock", info("CSIPlugin", "csi.example.com", "", "1.0.0"));
    RegistrationHandler handler = start(Mode.REGISTRAR);

    handler.socketCreated(csi.socket);

    Rejection rejection = awaitRejection(csi.socket, r -> !r.retrying());
    assertThat(rejection.reason()).contains("CSIPlugin").contains("not handled");
    assertThat(rejection.retrying()).isFalse();
    RegistrationStatus status = nextNotification(csi);
    assertThat(status.getPluginRegistered()).isFalse();
    assertThat(status.getError()).isEqualTo(rejection.reason());
    assertThat(store.ignoredSockets()).isEmpty();
  }

  @Test
  void theObserverListsACsiPluginAsIgnoredAndNeverNotifiesIt() throws Exception {
    FakePlugin csi = serve("csi.sock", info("CSIPlugin", "csi.example.com", "", "1.0.0"));
    RegistrationHandler handler = start(Mode.OBSERVER);

    handler.socketCreated(csi.socket);

    await().atMost(WAIT).until(() -> !store.ignoredSockets().isEmpty());
    // Untrusted input: shown cleaned (control characters escaped, length capped).
    assertThat(store.ignoredSockets())
        .containsExactly(new IgnoredSocket(csi.socket, "CSIPlugin", "csi.example.com"));
    assertThat(store.rejections()).isEmpty();
    awaitAttemptsFinished();
    assertThat(csi.notifications).isEmpty();
  }

  @Test
  void theObserverRegistersWithoutNotifying() throws Exception {
    FakePlugin plugin = serve("ok.sock", dra("ok.example.com", endpoint("ok"), "v1.DRAPlugin"));
    RegistrationHandler handler = start(Mode.OBSERVER);

    handler.socketCreated(plugin.socket);

    awaitDriver("ok.example.com");
    awaitAttemptsFinished();
    assertThat(plugin.getInfoCalls.get()).isEqualTo(1);
    assertThat(plugin.notifications).isEmpty();
  }

  @Test
  void theObserverRefusesWithoutNotifying() throws Exception {
    FakePlugin bad = serve("bad.sock", dra("bad.example.com", "/etc/passwd", "v1.DRAPlugin"));
    RegistrationHandler handler = start(Mode.OBSERVER);

    handler.socketCreated(bad.socket);

    Rejection rejection = awaitRejection(bad.socket, r -> !r.retrying());
    assertThat(rejection.reason()).contains("is not inside");
    awaitAttemptsFinished();
    assertThat(bad.notifications).isEmpty();
  }

  // --- end to end, with the real watcher ---

  @Test
  void endToEndWithTheRealWatcherInLifecycleOrder() throws Exception {
    FakePlugin early =
        serve("early.sock", dra("early.example.com", endpoint("early"), "v1.DRAPlugin"));
    RegistrationHandler handler = build(Mode.REGISTRAR);
    RegistryWatcher w =
        new RegistryWatcher(
            properties(Mode.REGISTRAR, Duration.ofSeconds(5)), handler, watchExecutor);
    watcher = w;
    // The order of the application context: the watcher depends on the handler, and Spring starts
    // a bean's dependencies first whatever their phases (and stops them last).
    handler.start();
    w.start();

    FakePlugin late =
        serve("late/late.sock", dra("late.example.com", endpoint("late"), "v1.DRAPlugin"));

    awaitDriver("early.example.com");
    awaitDriver("late.example.com");
    assertThat(nextNotification(early).getPluginRegistered()).isTrue();
    assertThat(nextNotification(late).getPluginRegistered()).isTrue();

    late.close();

    await().atMost(WAIT).until(() -> store.driver("late.example.com").isEmpty());
    assertThat(store.drivers()).extracting(DriverView::driver).containsExactly("early.example.com");
  }

  // --- helpers ---

  private AgentProperties properties(Mode mode, Duration getInfoTimeout) {
    // Short retries keep the tests fast. GetInfo gets 5 s except where a test waits for timeouts:
    // the first connection of the JVM (class loading) can take longer than the kubelet's 1 s.
    return TestProperties.of(
        "dra.agent.mode=" + mode.name().toLowerCase(Locale.ROOT),
        "dra.agent.kubelet-root-dir=" + root,
        "dra.agent.registration.get-info-timeout=" + getInfoTimeout.toMillis() + "ms",
        "dra.agent.registration.notify-timeout=1s",
        "dra.agent.registration.retry-initial=50ms",
        "dra.agent.registration.retry-max=200ms");
  }

  private RegistrationHandler build(Mode mode) {
    return build(mode, Duration.ofSeconds(5));
  }

  private RegistrationHandler build(Mode mode, Duration getInfoTimeout) {
    return build(mode, getInfoTimeout, TestSchedulers.on(scheduler, clock));
  }

  private RegistrationHandler build(
      Mode mode, Duration getInfoTimeout, AgentScheduler retryScheduler) {
    AgentProperties properties = properties(mode, getInfoTimeout);
    RegistrationHandler built =
        new RegistrationHandler(
            properties,
            store,
            new RegistrationClient(properties, channels),
            retryScheduler,
            registrationExecutor,
            clock);
    handler = built;
    return built;
  }

  private RegistrationHandler start(Mode mode) {
    RegistrationHandler built = build(mode);
    built.start();
    return built;
  }

  private FakePlugin serve(String name, PluginInfo info) throws IOException {
    FakePlugin fake = FakePlugin.create(registry.resolve(name), info, serverGroup);
    fakes.add(fake);
    return fake.start();
  }

  private String endpoint(String driverFolder) {
    return root.resolve("plugins").resolve(driverFolder).resolve("dra.sock").toString();
  }

  private static PluginInfo dra(String driver, String endpoint, String... versions) {
    return info("DRAPlugin", driver, endpoint, versions);
  }

  private static PluginInfo info(String type, String name, String endpoint, String... versions) {
    return PluginInfo.newBuilder()
        .setType(type)
        .setName(name)
        .setEndpoint(endpoint)
        .addAllSupportedVersions(List.of(versions))
        .build();
  }

  private DriverView awaitDriver(String driver) {
    await().atMost(WAIT).until(() -> store.driver(driver).isPresent());
    return store.driver(driver).orElseThrow();
  }

  private Rejection awaitRejection(Path socket, Predicate<Rejection> condition) {
    await().atMost(WAIT).until(() -> rejectionOf(socket).filter(condition).isPresent());
    return rejectionOf(socket).orElseThrow();
  }

  private Optional<Rejection> rejectionOf(Path socket) {
    return store.rejections().stream().filter(r -> r.socket().equals(socket)).findFirst();
  }

  /** Every attempt, notification included, runs on the registration pool: wait until it is idle. */
  private void awaitAttemptsFinished() {
    await().atMost(WAIT).until(() -> registrationExecutor.getActiveCount() == 0);
  }

  private static RegistrationStatus nextNotification(FakePlugin plugin)
      throws InterruptedException {
    RegistrationStatus status = plugin.notifications.poll(5, SECONDS);
    if (status == null) {
      throw new AssertionError("no NotifyRegistrationStatus at " + plugin.socket + " within 5 s");
    }
    return status;
  }

  /** A retry the handler asked for: what it would run, and after how long. */
  record Retry(Runnable task, Duration delay) {}

  /**
   * A scheduler that runs nothing by itself: it records each retry with its delay and lets the test
   * run it when the world is ready.
   */
  static final class RetryRecorder implements AgentScheduler {
    private final BlockingQueue<Retry> retries = new LinkedBlockingQueue<>();

    @Override
    public Cancellable schedule(Runnable task, Instant at) {
      return scheduleAfter(task, Duration.between(NOW, at));
    }

    @Override
    public Cancellable scheduleAfter(Runnable task, Duration delay) {
      retries.add(new Retry(task, delay));
      return () -> {};
    }

    Retry next() throws InterruptedException {
      Retry retry = retries.poll(5, SECONDS);
      if (retry == null) {
        throw new AssertionError("no retry scheduled within 5 s");
      }
      return retry;
    }
  }

  private static ThreadPoolTaskExecutor pool(String prefix, int threads) {
    ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
    executor.setCorePoolSize(threads);
    executor.setMaxPoolSize(threads);
    executor.setThreadNamePrefix(prefix);
    executor.setAwaitTerminationSeconds(5);
    executor.setDaemon(true);
    executor.initialize();
    return executor;
  }
}
