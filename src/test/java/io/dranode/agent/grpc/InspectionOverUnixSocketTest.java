package io.dranode.agent.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.DraNodeAgentApplication;
import io.dranode.agent.api.v1.InspectionGrpc;
import io.dranode.agent.api.v1.ListPluginsRequest;
import io.dranode.agent.api.v1.PluginEvent;
import io.dranode.agent.api.v1.WatchPluginsRequest;
import io.dranode.agent.event.EventStreams;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The gRPC server on a Unix socket instead of TCP ({@code spring.grpc.server.netty.transport =
 * domain-socket}), and its shutdown: an open watch must not hold the server's graceful shutdown for
 * its whole grace period (30 s by default).
 */
@EnabledOnOs(OS.LINUX)
class InspectionOverUnixSocketTest {

  @TempDir Path root;

  private final EventLoopGroup clientGroup =
      new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private @Nullable ConfigurableApplicationContext agent;
  private @Nullable ManagedChannel channel;

  @AfterEach
  void tearDown() throws InterruptedException {
    if (agent != null) {
      agent.close();
    }
    ManagedChannel open = channel;
    if (open != null) {
      open.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }

  @Test
  void servesOverAUnixSocketAndEndsOpenWatchesWhenTheAgentStops() throws Exception {
    OfflineAgent.noApiServer();
    Path socket = root.resolve("agent.sock");
    ConfigurableApplicationContext agent =
        new SpringApplicationBuilder(DraNodeAgentApplication.class)
            .run(
                "--dra.agent.kubelet-root-dir=" + root,
                "--dra.agent.node-name=worker",
                "--server.port=0",
                "--spring.grpc.server.netty.transport=domain-socket",
                "--spring.grpc.server.netty.domain-socket-path=" + socket);
    this.agent = agent;
    assertThat(Files.exists(socket)).isTrue();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollDomainSocketChannel.class, DomainSocketAddress.class)
            .eventLoopGroup(clientGroup)
            .usePlaintext()
            .overrideAuthority("localhost")
            .build();
    this.channel = channel;

    assertThat(
            InspectionGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .listPlugins(ListPluginsRequest.getDefaultInstance())
                .getNode())
        .isEqualTo("worker");

    CompletableFuture<Status> watchEnded = new CompletableFuture<>();
    InspectionGrpc.newStub(channel)
        .watchPlugins(
            WatchPluginsRequest.getDefaultInstance(),
            new StreamObserver<PluginEvent>() {
              @Override
              public void onNext(PluginEvent value) {}

              @Override
              public void onError(Throwable t) {
                watchEnded.complete(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                watchEnded.complete(Status.OK);
              }
            });
    EventStreams streams = agent.getBean(EventStreams.class);
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> streams.count() == 1);

    long started = System.nanoTime();
    agent.close();
    Duration closing = Duration.ofNanos(System.nanoTime() - started);

    assertThat(closing).isLessThan(Duration.ofSeconds(15));
    assertThat(watchEnded.orTimeout(5, TimeUnit.SECONDS).join().getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
  }
}
