package io.dranode.agent.registration;

import io.dranode.agent.proto.pluginregistration.RegistrationGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A registration service that answers {@code GetInfo} with raw bytes of its choosing, or with an
 * error status, and may lack {@code NotifyRegistrationStatus}: what a buggy or hostile plugin can
 * send that a well-typed fake cannot (invalid UTF-8 in a proto3 string, bytes that are no protobuf
 * at all).
 */
final class RawRegistrationPlugin implements AutoCloseable {

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  final Path socket;
  final AtomicInteger notifications = new AtomicInteger();
  private final Server server;

  private RawRegistrationPlugin(Path socket, Server server) {
    this.socket = socket;
    this.server = server;
  }

  /**
   * @param answer the bytes {@code GetInfo} answers, or null to answer {@code error}
   * @param error the status {@code GetInfo} fails with when {@code answer} is null
   * @param serveNotify whether {@code NotifyRegistrationStatus} exists (else UNIMPLEMENTED)
   */
  static RawRegistrationPlugin start(
      Path socket,
      EventLoopGroup group,
      byte @Nullable [] answer,
      @Nullable Status error,
      boolean serveNotify)
      throws IOException {
    ServerServiceDefinition.Builder service =
        ServerServiceDefinition.builder(RegistrationGrpc.SERVICE_NAME)
            .addMethod(
                raw(RegistrationGrpc.getGetInfoMethod()),
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      if (answer == null) {
                        response.onError(
                            (error == null ? Status.UNKNOWN : error).asRuntimeException());
                      } else {
                        response.onNext(answer);
                        response.onCompleted();
                      }
                    }));
    RawRegistrationPlugin[] self = new RawRegistrationPlugin[1];
    if (serveNotify) {
      service.addMethod(
          raw(RegistrationGrpc.getNotifyRegistrationStatusMethod()),
          ServerCalls.asyncUnaryCall(
              (request, response) -> {
                self[0].notifications.incrementAndGet();
                response.onNext(new byte[0]); // RegistrationStatusResponse is empty
                response.onCompleted();
              }));
    }
    Files.createDirectories(socket.getParent());
    Server server =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(group)
            .workerEventLoopGroup(group)
            .directExecutor()
            .addService(service.build())
            .build()
            .start();
    self[0] = new RawRegistrationPlugin(socket, server);
    return self[0];
  }

  private static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> typed) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(typed.getFullMethodName())
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }

  @Override
  public void close() throws InterruptedException, IOException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    Files.deleteIfExists(socket);
  }
}
