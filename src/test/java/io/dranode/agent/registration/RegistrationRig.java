package io.dranode.agent.registration;

import static org.awaitility.Awaitility.await;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.Mode;
import io.dranode.agent.config.TestChannels;
import io.dranode.agent.config.TestSchedulers;
import io.dranode.agent.config.UnixChannels;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.testing.TestProperties;
import io.dranode.agent.watch.RegistryWatcher;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

/**
 * The discovery and registration half of the agent, wired by hand as in the application (watcher →
 * handler → store) on a short temp folder under {@code /tmp}, with the production pool sizes, a
 * short {@code GetInfo} deadline and short retries. Fake plugins it serves are closed with it.
 */
final class RegistrationRig implements AutoCloseable {

  static final Duration WAIT = Duration.ofSeconds(10);

  final Path root;
  final Path registry;
  final EventLoopGroup serverGroup;
  final ThreadPoolTaskExecutor registrationExecutor;
  final PluginStore store;
  final List<AgentEvent> events = new CopyOnWriteArrayList<>();
  final RegistrationHandler handler;
  final RegistryWatcher watcher;

  private final ThreadPoolTaskExecutor grpcExecutor;
  private final ThreadPoolTaskExecutor watchExecutor;
  private final ThreadPoolTaskScheduler scheduler;
  private final UnixChannels channels;
  private final List<AutoCloseable> plugins = new ArrayList<>();

  RegistrationRig(Mode mode, Duration getInfoTimeout) throws IOException {
    // Unix socket paths must stay under 108 bytes: a short folder right under /tmp.
    root = Files.createTempDirectory(Path.of("/tmp"), "m");
    registry = Files.createDirectories(root.resolve("plugins_registry"));
    serverGroup = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    grpcExecutor = pool("dra-grpc-", 4);
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
    store = new PluginStore(bus, Clock.systemUTC(), List.of());
    AgentProperties properties =
        TestProperties.of(
            "dra.agent.mode=" + mode.name().toLowerCase(Locale.ROOT),
            "dra.agent.kubelet-root-dir=" + root,
            "dra.agent.registration.get-info-timeout=" + getInfoTimeout.toMillis() + "ms",
            "dra.agent.registration.notify-timeout=1s",
            "dra.agent.registration.retry-initial=50ms",
            "dra.agent.registration.retry-max=400ms");
    handler =
        new RegistrationHandler(
            properties,
            store,
            new RegistrationClient(properties, channels),
            TestSchedulers.on(scheduler, Clock.systemUTC()),
            registrationExecutor,
            Clock.systemUTC());
    watcher = new RegistryWatcher(properties, handler, watchExecutor);
    // The application's order: the handler before the watcher.
    handler.start();
    watcher.start();
  }

  /** A fake plugin answering {@code info}, its socket at {@code name} in the registry. */
  FakePlugin serve(String name, PluginInfo info) throws IOException {
    return serveAt(registry.resolve(name), info);
  }

  FakePlugin serveAt(Path socket, PluginInfo info) throws IOException {
    FakePlugin fake = FakePlugin.create(socket, info, serverGroup);
    plugins.add(fake);
    return fake.start();
  }

  /** Closes this with the rig. */
  <T extends AutoCloseable> T own(T closeable) {
    plugins.add(closeable);
    return closeable;
  }

  /** A DRA endpoint inside the kubelet root. */
  String endpoint(String driverFolder) {
    return root.resolve("plugins").resolve(driverFolder).resolve("dra.sock").toString();
  }

  static PluginInfo dra(String driver, String endpoint, String... versions) {
    return info("DRAPlugin", driver, endpoint, versions);
  }

  static PluginInfo info(String type, String name, String endpoint, String... versions) {
    return PluginInfo.newBuilder()
        .setType(type)
        .setName(name)
        .setEndpoint(endpoint)
        .addAllSupportedVersions(List.of(versions))
        .build();
  }

  DriverView awaitDriver(String driver) {
    await().atMost(WAIT).until(() -> store.driver(driver).isPresent());
    return store.driver(driver).orElseThrow();
  }

  Rejection awaitRejection(Path socket, Predicate<Rejection> condition) {
    await().atMost(WAIT).until(() -> rejectionOf(socket).filter(condition).isPresent());
    return rejectionOf(socket).orElseThrow();
  }

  Optional<Rejection> rejectionOf(Path socket) {
    return store.rejections().stream().filter(r -> r.socket().equals(socket)).findFirst();
  }

  /** Every attempt, notification included, runs on the registration pool: wait until it idles. */
  void awaitAttemptsFinished() {
    await().atMost(WAIT).until(() -> registrationExecutor.getActiveCount() == 0);
  }

  @Override
  public void close() throws Exception {
    watcher.stop();
    handler.stop();
    for (AutoCloseable plugin : plugins) {
      plugin.close();
    }
    watchExecutor.shutdown();
    registrationExecutor.shutdown();
    scheduler.shutdown();
    channels.close();
    grpcExecutor.shutdown();
    serverGroup
        .shutdownGracefully(0, 1, TimeUnit.SECONDS)
        .awaitUninterruptibly(5, TimeUnit.SECONDS);
    try (Stream<Path> tree = Files.walk(root)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
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
