package io.dranode.agent.config;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Builds gRPC channels to plugins' Unix sockets, all on one context-owned event loop group and
 * executor: plaintext, authority {@code localhost} (as the kubelet; grpc-java would otherwise send
 * the socket path, which some servers reject).
 */
public final class UnixChannels implements AutoCloseable {

  private final EventLoopGroup group;
  private final Executor executor;

  UnixChannels(EventLoopGroup group, Executor executor) {
    this.group = group;
    this.executor = executor;
  }

  /** A new channel to the socket; it connects lazily, or when asked to. */
  public ManagedChannel open(Path socket, int maxInboundMessageBytes) {
    return builder(socket, maxInboundMessageBytes).executor(executor).build();
  }

  /**
   * A new channel for a few blocking calls, closed right after them (a registration attempt). Its
   * callbacks run where they arise: a blocking stub delivers them to the calling thread anyway, so
   * a hand-off to the channel executor would only add a thread hop to every call. Never use it for
   * streams or for callbacks that block.
   */
  public ManagedChannel openForBlockingCalls(Path socket, int maxInboundMessageBytes) {
    return builder(socket, maxInboundMessageBytes).directExecutor().build();
  }

  private NettyChannelBuilder builder(Path socket, int maxInboundMessageBytes) {
    return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class, DomainSocketAddress.class)
        .eventLoopGroup(group)
        .offloadExecutor(executor)
        .usePlaintext()
        .overrideAuthority("localhost")
        .maxInboundMessageSize(maxInboundMessageBytes);
  }

  /** The executor channel callbacks run on. */
  public Executor executor() {
    return executor;
  }

  @Override
  public void close() {
    group
        .shutdownGracefully(0, 1, TimeUnit.SECONDS)
        .awaitUninterruptibly(ExecutorsConfig.AWAIT_TERMINATION_SECONDS, TimeUnit.SECONDS);
  }
}
