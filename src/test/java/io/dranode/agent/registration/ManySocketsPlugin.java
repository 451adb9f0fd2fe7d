package io.dranode.agent.registration;

import io.dranode.agent.proto.pluginregistration.InfoRequest;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.proto.pluginregistration.RegistrationGrpc;
import io.dranode.agent.proto.pluginregistration.RegistrationStatus;
import io.dranode.agent.proto.pluginregistration.RegistrationStatusResponse;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One gRPC server listening on many Unix sockets, each its own plugin: {@code GetInfo} answers
 * according to the socket the call came in on (its bound path), and {@code
 * NotifyRegistrationStatus} is counted per socket. A thousand plugins without a thousand servers.
 */
final class ManySocketsPlugin implements AutoCloseable {

  private static final Context.Key<String> SOCKET = Context.key("socket");

  private final Server server;
  private final Function<String, PluginInfo> infoBySocket;
  private final Map<String, Integer> registeredNotifications = new ConcurrentHashMap<>();

  /**
   * @param sockets where to listen; at least one
   * @param infoBySocket the answer for a bound socket path
   */
  ManySocketsPlugin(
      Iterable<Path> sockets, EventLoopGroup group, Function<String, PluginInfo> infoBySocket)
      throws IOException {
    this.infoBySocket = infoBySocket;
    NettyServerBuilder builder = null;
    for (Path socket : sockets) {
      Files.createDirectories(socket.getParent());
      DomainSocketAddress address = new DomainSocketAddress(socket.toString());
      builder =
          builder == null
              ? NettyServerBuilder.forAddress(address)
              : builder.addListenAddress(address);
    }
    if (builder == null) {
      throw new IllegalArgumentException("no socket to listen on");
    }
    server =
        builder
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(group)
            .workerEventLoopGroup(group)
            .directExecutor()
            .addService(ServerInterceptors.intercept(new Service(), new BoundSocket()))
            .build()
            .start();
  }

  /** How many {@code NotifyRegistrationStatus(registered)} each bound socket received. */
  Map<String, Integer> registeredNotifications() {
    return Map.copyOf(registeredNotifications);
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Puts the bound path of the socket a call came in on into the call's context. */
  private static final class BoundSocket implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      SocketAddress local = call.getAttributes().get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR);
      String path = local instanceof DomainSocketAddress uds ? uds.path() : String.valueOf(local);
      return Contexts.interceptCall(Context.current().withValue(SOCKET, path), call, headers, next);
    }
  }

  private final class Service extends RegistrationGrpc.RegistrationImplBase {
    @Override
    public void getInfo(InfoRequest request, StreamObserver<PluginInfo> response) {
      String socket = SOCKET.get();
      if (socket == null) {
        response.onError(Status.INTERNAL.withDescription("no local address").asRuntimeException());
        return;
      }
      response.onNext(infoBySocket.apply(socket));
      response.onCompleted();
    }

    @Override
    public void notifyRegistrationStatus(
        RegistrationStatus request, StreamObserver<RegistrationStatusResponse> response) {
      String socket = SOCKET.get();
      if (socket != null && request.getPluginRegistered()) {
        registeredNotifications.merge(socket, 1, Integer::sum);
      }
      response.onNext(RegistrationStatusResponse.getDefaultInstance());
      response.onCompleted();
    }
  }
}
