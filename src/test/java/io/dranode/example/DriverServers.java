package io.dranode.example;

import io.dranode.agent.testing.EventLoops;
import io.dranode.agent.testing.UnixGrpcServer;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What runs while a driver runs: one epoll event-loop group shared by its two gRPC servers, and the
 * ticker that re-sends device health. Every thread it starts is named {@code example-driver-…} and
 * is gone when {@link #stop} or {@link #kill} returns (each wait is bounded).
 *
 * <p>Both servers listen at a hidden name and their sockets are hard links ({@link
 * UnixGrpcServer#startHidden()}): the driver, not Netty, owns the socket files, so a crash can
 * leave them behind as a killed process does, and a socket appears only once its server listens
 * (the real helper shows the file a moment before it listens).
 */
final class DriverServers {

  private static final Logger log = LoggerFactory.getLogger(DriverServers.class);
  private static final Duration BOUND = Duration.ofSeconds(5);

  private final String driverName;
  private final DeviceHealthBoard health;
  private final EventLoops eventLoops = EventLoops.start(2, "example-driver-io");
  private @Nullable UnixGrpcServer dra;
  private @Nullable UnixGrpcServer registration;
  private @Nullable ScheduledExecutorService healthTicker;

  DriverServers(String driverName, DeviceHealthBoard health) {
    this.driverName = driverName;
    this.health = health;
  }

  void startDra(Path socket, List<ServerServiceDefinition> services) throws IOException {
    UnixGrpcServer server = startHidden(socket, services);
    dra = server;
    server.link();
  }

  void startRegistration(Path socket, ServerServiceDefinition service) throws IOException {
    UnixGrpcServer server = startHidden(socket, List.of(service));
    registration = server;
    server.link();
  }

  private UnixGrpcServer startHidden(Path socket, List<ServerServiceDefinition> services)
      throws IOException {
    UnixGrpcServer.Builder server = UnixGrpcServer.at(socket, eventLoops.group());
    services.forEach(server::service);
    return server.startHidden();
  }

  /** A fresh check of every device at this period, sent on every open stream. */
  void startHealthTicker(Duration period) {
    ScheduledExecutorService ticker =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "example-driver-health-" + driverName);
              thread.setDaemon(true);
              return thread;
            });
    healthTicker = ticker;
    long millis = period.toMillis();
    ScheduledFuture<?> unused =
        ticker.scheduleAtFixedRate(health::recheckAll, millis, millis, TimeUnit.MILLISECONDS);
  }

  /**
   * The helper's order: the registration socket goes first (the registrar deregisters), health
   * streams are completed, then the DRA socket goes.
   */
  void stop() {
    if (registration != null) {
      registration.stop(BOUND);
    }
    stopHealthTicker();
    health.streams().completeAll();
    if (dra != null) {
      dra.stop(BOUND);
    }
    shutdownEventLoops();
  }

  /** Everything at once, nothing announced, both socket files left behind. */
  void kill() {
    stopHealthTicker();
    health.streams().abandonAll();
    if (registration != null) {
      registration.kill(BOUND);
    }
    if (dra != null) {
      dra.kill(BOUND);
    }
    shutdownEventLoops();
  }

  private void stopHealthTicker() {
    ScheduledExecutorService ticker = healthTicker;
    if (ticker == null) {
      return;
    }
    ticker.shutdownNow();
    try {
      if (!ticker.awaitTermination(BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("{}: health ticker did not stop within {}", driverName, BOUND);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void shutdownEventLoops() {
    if (!eventLoops.shutdown(BOUND)) {
      log.warn("{}: event loops did not stop within {}", driverName, BOUND);
    }
  }
}
