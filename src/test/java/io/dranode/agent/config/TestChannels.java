package io.dranode.agent.config;

import io.netty.channel.EventLoopGroup;
import java.util.concurrent.Executor;

/** Lets tests of other packages build {@link UnixChannels} on their own event loop and executor. */
public final class TestChannels {

  private TestChannels() {}

  /** Channels on the given group and executor; closing them shuts the group down. */
  public static UnixChannels create(EventLoopGroup group, Executor executor) {
    return new UnixChannels(group, executor);
  }
}
