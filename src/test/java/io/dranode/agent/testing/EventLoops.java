package io.dranode.agent.testing;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Epoll event loops of daemon threads named {@code <name>-…}, for gRPC servers and channels on Unix
 * sockets. Whoever creates them shuts them down; the wait for their threads is bounded.
 */
public final class EventLoops implements AutoCloseable {

  private static final Duration BOUND = Duration.ofSeconds(5);

  private final EventLoopGroup group;

  private EventLoops(EventLoopGroup group) {
    this.group = group;
  }

  public static EventLoops start(int threads, String name) {
    return new EventLoops(
        new MultiThreadIoEventLoopGroup(
            threads, new DefaultThreadFactory(name, true), EpollIoHandler.newFactory()));
  }

  public EventLoopGroup group() {
    return group;
  }

  /**
   * Stops the loops without a quiet period (their servers and channels are closed already) and
   * waits for their threads; false when they were still running after {@code bound}.
   */
  public boolean shutdown(Duration bound) {
    return group
        .shutdownGracefully(0, bound.toMillis(), TimeUnit.MILLISECONDS)
        .awaitUninterruptibly(bound.toMillis() * 2, TimeUnit.MILLISECONDS);
  }

  /**
   * @throws IllegalStateException when the threads outlive the bound: a test must not leak them
   */
  @Override
  public void close() {
    if (!shutdown(BOUND)) {
      throw new IllegalStateException("event loops still running after " + BOUND);
    }
  }
}
