package io.dranode.example;

import io.grpc.BindableService;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
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
 */
final class DriverServers {

  private static final Logger log = LoggerFactory.getLogger(DriverServers.class);
  private static final Duration BOUND = Duration.ofSeconds(5);

  private final String driverName;
  private final DeviceHealthBoard health;
  private final EventLoopGroup eventLoops;
  private @Nullable UdsServer dra;
  private @Nullable UdsServer registration;
  private @Nullable ScheduledExecutorService healthTicker;

  DriverServers(String driverName, DeviceHealthBoard health) {
    this.driverName = driverName;
    this.health = health;
    this.eventLoops =
        new MultiThreadIoEventLoopGroup(
            2, new DefaultThreadFactory("example-driver-io", true), EpollIoHandler.newFactory());
  }

  void startDra(Path socket, List<BindableService> services) throws IOException {
    dra = UdsServer.start(socket, eventLoops, services);
  }

  void startRegistration(Path socket, BindableService service) throws IOException {
    registration = UdsServer.start(socket, eventLoops, List.of(service));
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
    health.completeAll();
    if (dra != null) {
      dra.stop(BOUND);
    }
    shutdownEventLoops();
  }

  /** Everything at once, nothing announced, both socket files left behind. */
  void kill() {
    stopHealthTicker();
    health.abandonAll();
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
    try {
      // The servers are down already: no quiet period to wait for.
      if (!eventLoops
          .shutdownGracefully(0, BOUND.toMillis(), TimeUnit.MILLISECONDS)
          .await(BOUND.toMillis() * 2, TimeUnit.MILLISECONDS)) {
        log.warn("{}: event loops did not stop within {}", driverName, BOUND);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
