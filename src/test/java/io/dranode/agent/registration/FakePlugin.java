package io.dranode.agent.registration;

import io.dranode.agent.proto.pluginregistration.InfoRequest;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.proto.pluginregistration.RegistrationGrpc;
import io.dranode.agent.proto.pluginregistration.RegistrationStatus;
import io.dranode.agent.proto.pluginregistration.RegistrationStatusResponse;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A plugin's registration service on a real Unix socket: answers {@code GetInfo} with whatever it
 * is told (or never, while hanging) and records every {@code NotifyRegistrationStatus}.
 */
final class FakePlugin implements AutoCloseable {

  final Path socket;
  final BlockingQueue<RegistrationStatus> notifications = new LinkedBlockingQueue<>();
  final AtomicInteger getInfoCalls = new AtomicInteger();

  private final EventLoopGroup group;
  private volatile PluginInfo info;
  private final List<ServerCallStreamObserver<PluginInfo>> held = new ArrayList<>(); // guarded
  private boolean hanging; // guarded by held
  private @Nullable Server server;

  private FakePlugin(Path socket, PluginInfo info, EventLoopGroup group) {
    this.socket = socket;
    this.info = info;
    this.group = group;
  }

  /** A fake that is not serving yet; {@link #start()} binds its socket. */
  static FakePlugin create(Path socket, PluginInfo info, EventLoopGroup group) {
    return new FakePlugin(socket, info, group);
  }

  FakePlugin start() throws IOException {
    Files.createDirectories(socket.getParent());
    server =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(group)
            .workerEventLoopGroup(group)
            .directExecutor()
            .addService(new Service())
            .build()
            .start();
    return this;
  }

  /** From now on, answers {@code info}. */
  void answer(PluginInfo next) {
    this.info = next;
  }

  /** {@code GetInfo} calls get no answer until {@link #release()}. */
  void hang() {
    synchronized (held) {
      hanging = true;
    }
  }

  /** Answers the calls held so far (those the client has not given up on) and all later ones. */
  void release() {
    List<ServerCallStreamObserver<PluginInfo>> waiting;
    synchronized (held) {
      hanging = false;
      waiting = new ArrayList<>(held);
      held.clear();
    }
    for (ServerCallStreamObserver<PluginInfo> call : waiting) {
      if (!call.isCancelled()) {
        call.onNext(info);
        call.onCompleted();
      }
    }
  }

  @Override
  public void close() throws InterruptedException, IOException {
    Server running = server;
    if (running != null) {
      running.shutdownNow();
      running.awaitTermination(5, TimeUnit.SECONDS);
      server = null;
    }
    Files.deleteIfExists(socket);
  }

  private final class Service extends RegistrationGrpc.RegistrationImplBase {
    @Override
    public void getInfo(InfoRequest request, StreamObserver<PluginInfo> responseObserver) {
      getInfoCalls.incrementAndGet();
      ServerCallStreamObserver<PluginInfo> call =
          (ServerCallStreamObserver<PluginInfo>) responseObserver;
      synchronized (held) {
        if (hanging) {
          // Without a cancel handler, answering a call the client gave up on would throw.
          call.setOnCancelHandler(
              () -> {
                synchronized (held) {
                  held.remove(call);
                }
              });
          held.add(call);
          return;
        }
      }
      call.onNext(info);
      call.onCompleted();
    }

    @Override
    public void notifyRegistrationStatus(
        RegistrationStatus request, StreamObserver<RegistrationStatusResponse> responseObserver) {
      notifications.add(request);
      responseObserver.onNext(RegistrationStatusResponse.getDefaultInstance());
      responseObserver.onCompleted();
    }
  }
}
