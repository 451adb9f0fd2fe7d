package io.dranode.example;

import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.testing.Notification;
import io.dranode.agent.testing.PluginRegistration;
import io.dranode.agent.testing.SameWire;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DRA driver plugin in Java that a registrar cannot tell from one built with the upstream
 * kubelet-plugin helper: the same socket names, the same registration service, the DRA service in
 * v1 and v1beta1, device health in v1 and v1alpha1, and one ResourceSlice for its devices.
 *
 * <pre>{@code
 * try (ExampleDriver driver =
 *     new ExampleDriver(ExampleDriverConfig.of("gpu.example.com", root, 4, "node-a")).start()) {
 *   driver.awaitRegistered(Duration.ofSeconds(5));
 *   driver.setHealthy("dev-1", false, "ECC errors");
 * }
 * }</pre>
 *
 * <p>Start order as in the helper: the DRA socket first, the registration socket last (its
 * appearance is what makes a registrar come). {@link #close()} removes the registration socket
 * first, then stops the DRA service; {@link #crash()} stops both at once and leaves both socket
 * files behind, like a killed process. Neither deletes the ResourceSlice: the real helper does not
 * either, that is the registrar's wipe. One instance runs once; start a new one to restart.
 */
public final class ExampleDriver implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ExampleDriver.class);

  private enum State {
    NEW,
    RUNNING,
    CRASHED,
    CLOSED
  }

  private final ExampleDriverConfig config;
  private final SocketPaths paths;
  private final PluginRegistration registration;
  private final ClaimPreparation claims;
  private final DeviceHealthBoard health;
  private final @Nullable SlicePublisher slices;

  private State state = State.NEW;
  private @Nullable DriverServers servers;

  /**
   * Checks the configuration and the socket paths (failing fast when one would not fit a Unix
   * socket's 108 bytes); nothing is created before {@link #start()}.
   */
  public ExampleDriver(ExampleDriverConfig config) {
    this.config = config;
    this.paths = SocketPaths.of(config);
    List<String> devices = config.deviceNames();
    this.registration =
        PluginRegistration.answering(
                PluginInfo.newBuilder()
                    .setType(config.pluginType())
                    .setName(config.driverName())
                    .setEndpoint(paths.dra().toString())
                    .addAllSupportedVersions(config.supportedServices())
                    .build())
            .failingRefusals();
    registration.notifications().listen(this::logStatus);
    this.claims = new ClaimPreparation(config.driverName(), devices);
    this.health = new DeviceHealthBoard(config.nodeName(), devices, Clock.systemUTC());
    this.slices =
        config.client() == null
            ? null
            : new SlicePublisher(config.client(), config.driverName(), config.nodeName(), devices);
  }

  /** Serves the DRA socket, publishes the slice, then serves the registration socket. */
  public synchronized ExampleDriver start() throws IOException {
    if (state != State.NEW) {
      throw new IllegalStateException("an ExampleDriver starts once; it is " + state);
    }
    DriverServers running = new DriverServers(config.driverName(), health);
    servers = running;
    state = State.RUNNING;
    try {
      running.startDra(paths.dra(), draServices());
      publishSlice();
      running.startRegistration(paths.registration(), registration.bindService());
      running.startHealthTicker(config.healthResendInterval());
    } catch (IOException | RuntimeException e) {
      running.stop();
      state = State.CLOSED;
      throw e;
    }
    log.info(
        "{}: serving {} (registration) and {} (DRA, {})",
        config.driverName(),
        paths.registration(),
        paths.dra(),
        config.supportedServices());
    return this;
  }

  /**
   * Stops cleanly: the registration socket goes first, health streams are completed, then the DRA
   * socket goes; both files are deleted. After {@link #crash()} it only forgets the driver.
   */
  @Override
  public synchronized void close() {
    if (state == State.RUNNING && servers != null) {
      servers.stop();
      log.info("{}: stopped", config.driverName());
    }
    state = State.CLOSED;
  }

  /**
   * Dies abruptly, as if killed: streams and calls are cut, nothing is announced, and both socket
   * files stay behind as dead sockets that refuse connections.
   */
  public synchronized void crash() {
    if (state != State.RUNNING) {
      throw new IllegalStateException("only a running driver can crash; it is " + state);
    }
    state = State.CRASHED;
    if (servers != null) {
      servers.kill();
    }
    log.info("{}: crashed, sockets left behind", config.driverName());
  }

  public ExampleDriverConfig config() {
    return config;
  }

  public Path registrationSocket() {
    return paths.registration();
  }

  public Path draSocket() {
    return paths.dra();
  }

  public List<String> deviceNames() {
    return config.deviceNames();
  }

  /** The last {@code NotifyRegistrationStatus} received, if any. */
  public Optional<Notification> lastRegistrationStatus() {
    return registration.notifications().last();
  }

  /** How many {@code NotifyRegistrationStatus} calls arrived. */
  public int registrationStatusCount() {
    return registration.notifications().count();
  }

  /** How many {@code GetInfo} calls arrived (a registrar in observer mode calls only this). */
  public int getInfoCount() {
    return registration.getInfoCalls();
  }

  /** Waits until the last status received says registered; false when the timeout passed first. */
  public boolean awaitRegistered(Duration timeout) throws InterruptedException {
    return registration.notifications().awaitRegistered(timeout);
  }

  /**
   * Called on the transport thread as each {@code NotifyRegistrationStatus} arrives, before it is
   * answered: it must not block. Add listeners before {@link #start()} to miss nothing.
   */
  public void addRegistrationListener(Consumer<Notification> listener) {
    registration.notifications().listen(listener);
  }

  /**
   * Switches one device's health and sends the full list to every open stream at once.
   *
   * @throws IllegalArgumentException for a device this driver does not have
   */
  public void setHealthy(String device, boolean healthy, String message) {
    health.set(device, healthy, message);
  }

  public List<DeviceHealthState> deviceHealth() {
    return health.snapshot();
  }

  /** Open {@code NodeWatchResources} streams, both versions together. */
  public int healthStreamCount() {
    return health.streams().openStreams();
  }

  /** {@code NodePrepareResources} calls received, both versions together (probes included). */
  public int prepareCount() {
    return claims.prepareCalls();
  }

  public int unprepareCount() {
    return claims.unprepareCalls();
  }

  /** Prepared claims: claim UID to device name. */
  public Map<String, String> preparedClaims() {
    return claims.prepared();
  }

  /** The name the API server gave the slice, once published. */
  public Optional<String> sliceName() {
    return slices == null ? Optional.empty() : slices.name();
  }

  /**
   * Creates the slice again when it is gone (or was never published); true when it created one. The
   * helper library does this by itself after its 30 s sync delay; here tests decide when.
   */
  public boolean republishIfMissing() {
    if (slices == null) {
      throw new IllegalStateException("no Kubernetes client configured: nothing is published");
    }
    return slices.republishIfMissing();
  }

  /** Usage: {@code --driver NAME --kubelet-root DIR --devices N --node NODE [--api-server URL]}. */
  public static void main(String[] args) throws Exception {
    ExampleDriverMain.run(args);
  }

  private List<ServerServiceDefinition> draServices() {
    List<ServerServiceDefinition> services = new ArrayList<>();
    for (String service : new LinkedHashSet<>(config.supportedServices())) {
      switch (service) {
        case "v1.DRAPlugin" -> services.add(draService().bindService());
        case "v1beta1.DRAPlugin" ->
            services.add(
                SameWire.servedAs(
                    io.dranode.agent.proto.dra.v1beta1.DRAPluginGrpc.SERVICE_NAME, draService()));
        case "v1.DRAResourceHealth" -> services.add(health.streams().v1().bindService());
        case "v1alpha1.DRAResourceHealth" -> services.add(health.streams().v1alpha1());
        default ->
            log.info("{}: advertises '{}' but serves nothing for it", config.driverName(), service);
      }
    }
    return services;
  }

  private DraPluginService draService() {
    return new DraPluginService(claims, config.nodeName());
  }

  private void logStatus(Notification status) {
    if (status.registered()) {
      log.info("{}: registered", config.driverName());
    } else {
      log.warn("{}: registration refused: {}", config.driverName(), status.error());
    }
  }

  private void publishSlice() {
    if (slices == null) {
      return;
    }
    try {
      slices.publish();
    } catch (KubernetesClientException e) {
      // The helper treats API errors as recoverable; republishIfMissing() tries again.
      log.warn("{}: could not publish its ResourceSlice: {}", config.driverName(), e.getMessage());
    }
  }
}
