package io.dranode.agent.registration;

import static org.awaitility.Awaitility.await;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.Mode;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.testing.AgentRig;
import io.dranode.agent.testing.FakePlugin;
import io.dranode.agent.testing.PluginRegistration;
import io.dranode.agent.testing.TestProperties;
import io.dranode.agent.watch.RegistryWatcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/**
 * The discovery and registration half of the agent on the {@link AgentRig}, wired as in the
 * application (watcher → handler → store), with the production pool sizes, short retries and fake
 * plugins in the registry folder. {@link #watching} starts both halves in the application's order;
 * a test of the handler alone starts only the handler and reports sockets to it itself.
 */
final class RegistrationRig implements AutoCloseable {

  static final Duration WAIT = Duration.ofSeconds(10);

  /** The rig's clock stands still here: every timestamp it takes is this one. */
  static final Instant NOW = AgentRig.START;

  final AgentRig agent;
  final Path root;
  final Path registry;
  final PluginStore store;
  final List<AgentEvent> events;
  final ThreadPoolTaskExecutor registrationExecutor;

  private final ThreadPoolTaskExecutor watchExecutor;
  private @Nullable AgentProperties properties;
  private @Nullable RegistrationHandler handler;
  private @Nullable RegistryWatcher watcher;

  /** Nothing runs yet: start the handler, and the watcher if the test wants one. */
  RegistrationRig() throws IOException {
    agent = new AgentRig();
    root = agent.root;
    registry = Files.createDirectories(root.resolve("plugins_registry"));
    store = agent.store;
    events = agent.events;
    registrationExecutor = agent.executor("register-", 4);
    watchExecutor = agent.executor("watch-", 1);
  }

  /** The handler, then the watcher over it: both halves, in the application's order. */
  static RegistrationRig watching(Mode mode, Duration getInfoTimeout) throws IOException {
    RegistrationRig rig = new RegistrationRig();
    rig.startHandler(mode, getInfoTimeout);
    rig.startWatcher();
    return rig;
  }

  /**
   * A handler whose {@code GetInfo} gets 5 s: the first connection of the JVM (class loading) can
   * take longer than the kubelet's 1 s.
   */
  RegistrationHandler startHandler(Mode mode) {
    return startHandler(mode, Duration.ofSeconds(5));
  }

  RegistrationHandler startHandler(Mode mode, Duration getInfoTimeout) {
    return startHandler(mode, getInfoTimeout, agent.scheduler);
  }

  /** A handler that schedules its retries on {@code retries}. */
  RegistrationHandler startHandler(Mode mode, Duration getInfoTimeout, AgentScheduler retries) {
    if (handler != null) {
      throw new IllegalStateException("the handler is started already");
    }
    AgentProperties settings =
        TestProperties.of(
            "dra.agent.mode=" + mode.name().toLowerCase(Locale.ROOT),
            "dra.agent.kubelet-root-dir=" + root,
            "dra.agent.registration.get-info-timeout=" + getInfoTimeout.toMillis() + "ms",
            "dra.agent.registration.notify-timeout=1s",
            "dra.agent.registration.retry-initial=50ms",
            "dra.agent.registration.retry-max=400ms");
    RegistrationHandler started =
        agent.start(
            new RegistrationHandler(
                settings,
                store,
                new RegistrationClient(settings, agent.channels),
                retries,
                registrationExecutor,
                agent.clock));
    properties = settings;
    handler = started;
    return started;
  }

  /**
   * The real watcher, reporting to the handler. Spring starts a bean's dependencies first whatever
   * their phases (and stops them last): the handler before the watcher.
   */
  RegistryWatcher startWatcher() {
    if (properties == null || handler == null) {
      throw new IllegalStateException("start the handler first");
    }
    RegistryWatcher started = agent.start(new RegistryWatcher(properties, handler, watchExecutor));
    watcher = started;
    return started;
  }

  RegistrationHandler handler() {
    if (handler == null) {
      throw new IllegalStateException("the handler is not started");
    }
    return handler;
  }

  RegistryWatcher watcher() {
    if (watcher == null) {
      throw new IllegalStateException("the watcher is not started");
    }
    return watcher;
  }

  /** A fake plugin answering {@code info}, its socket at {@code name} in the registry. */
  FakePlugin serve(String name, PluginInfo info) throws IOException {
    return serveAt(registry.resolve(name), info);
  }

  FakePlugin serveAt(Path socket, PluginInfo info) throws IOException {
    return serveAt(socket, PluginRegistration.answering(info));
  }

  FakePlugin serveAt(Path socket, PluginRegistration registration) throws IOException {
    return appeared(agent.plugin(socket).registration(registration));
  }

  /** A gRPC server that serves nothing: no registration service either. */
  FakePlugin serveNothingAt(Path socket) throws IOException {
    return appeared(agent.plugin(socket));
  }

  /**
   * Its socket appears only once it listens: a socket bound at its own name exists a moment before
   * it accepts, and a watcher that sees it then gets a refused first dial (a retry, an attempt).
   */
  private static FakePlugin appeared(FakePlugin.Builder plugin) throws IOException {
    FakePlugin started = plugin.startHidden();
    started.link();
    return started;
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
    agent.close();
  }
}
