package io.dranode.bench;

import io.dranode.agent.proto.dra.v1.DRAPluginGrpc;
import io.dranode.agent.proto.pluginregistration.InfoRequest;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.proto.pluginregistration.RegistrationGrpc;
import io.dranode.agent.proto.pluginregistration.RegistrationStatus;
import io.dranode.agent.proto.pluginregistration.RegistrationStatusResponse;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A lightweight fake DRA plugin for load: its registration and DRA gRPC servers share the harness's
 * event loops (an {@code ExampleDriver} brings its own threads per driver). Like the example
 * driver, its registration server listens at a hidden name and the public socket is a hard link
 * made once it listens, so "the socket appeared" is one timestamped {@code link()} and a
 * registration cycle is just {@link #appear()} and {@link #disappear()}: the servers stay up.
 */
final class BenchPlugin implements AutoCloseable {

  private final String driver;
  private final String type;
  private final Path registrationSocket;
  private final Path hiddenSocket;
  private final Path draSocket;
  private final LinkedBlockingQueue<Long> registeredAt = new LinkedBlockingQueue<>();
  private @Nullable Server registration;
  private @Nullable Server dra;

  BenchPlugin(String driver, Path kubeletRoot) {
    this(driver, kubeletRoot, "DRAPlugin");
  }

  /** A plugin that reports another type than {@code DRAPlugin} (which the agent refuses). */
  BenchPlugin(String driver, Path kubeletRoot, String type) {
    this.driver = driver;
    this.type = type;
    Path registry = kubeletRoot.resolve("plugins_registry");
    this.registrationSocket = registry.resolve(driver + "-reg.sock");
    this.hiddenSocket = registry.resolve("." + driver + ".sock");
    this.draSocket = kubeletRoot.resolve("plugins").resolve(driver).resolve("dra.sock");
  }

  String driver() {
    return driver;
  }

  /** Starts both servers; the public registration socket does not exist yet. */
  BenchPlugin start(EventLoopGroup loops) throws IOException {
    Files.createDirectories(draSocket.getParent());
    Files.createDirectories(registrationSocket.getParent());
    dra = serve(draSocket, loops, new DRAPluginGrpc.DRAPluginImplBase() {});
    registration = serve(hiddenSocket, loops, new Registration());
    return this;
  }

  /** Makes the registration socket appear; returns {@link System#nanoTime()} just before. */
  long appear() throws IOException {
    long now = System.nanoTime();
    Files.createLink(registrationSocket, hiddenSocket);
    return now;
  }

  /** Removes the registration socket; returns {@link System#nanoTime()} just before. */
  long disappear() throws IOException {
    long now = System.nanoTime();
    Files.delete(registrationSocket);
    return now;
  }

  /** When {@code NotifyRegistrationStatus(true)} arrived after {@code afterNanos}; waits. */
  long awaitRegistered(long afterNanos, Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (true) {
      Long at = registeredAt.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (at == null) {
        throw new IllegalStateException(driver + " not registered within " + bound);
      }
      if (at > afterNanos) {
        return at;
      }
    }
  }

  @Override
  public void close() {
    try {
      Files.deleteIfExists(registrationSocket);
    } catch (IOException e) {
      // the folder goes away with the run
    }
    for (Server server : new Server[] {registration, dra}) {
      if (server != null) {
        server.shutdownNow();
        try {
          server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private static Server serve(Path socket, EventLoopGroup loops, io.grpc.BindableService service)
      throws IOException {
    return NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(loops)
        .workerEventLoopGroup(loops)
        .directExecutor()
        .addService(service)
        .build()
        .start();
  }

  private final class Registration extends RegistrationGrpc.RegistrationImplBase {
    @Override
    public void getInfo(InfoRequest request, StreamObserver<PluginInfo> response) {
      response.onNext(
          PluginInfo.newBuilder()
              .setType(type)
              .setName(driver)
              .setEndpoint(draSocket.toString())
              .addSupportedVersions("v1.DRAPlugin")
              .build());
      response.onCompleted();
    }

    @Override
    public void notifyRegistrationStatus(
        RegistrationStatus request, StreamObserver<RegistrationStatusResponse> response) {
      long now = System.nanoTime();
      if (request.getPluginRegistered()) {
        registeredAt.add(now);
      }
      response.onNext(RegistrationStatusResponse.getDefaultInstance());
      response.onCompleted();
    }
  }
}
