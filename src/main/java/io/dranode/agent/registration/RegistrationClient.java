package io.dranode.agent.registration;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.UnixChannels;
import io.dranode.agent.proto.pluginregistration.InfoRequest;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.proto.pluginregistration.RegistrationGrpc;
import io.dranode.agent.proto.pluginregistration.RegistrationStatus;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/**
 * The client side of the kubelet plugin-registration protocol, over a plugin's registration socket.
 * One connection per registration attempt, closed after use; only blocking calls on it.
 */
@Component
class RegistrationClient {

  /** A valid {@code PluginInfo} is a few hundred bytes; anything huge is refused unread. */
  static final int MAX_MESSAGE_BYTES = 64 * 1024;

  private final UnixChannels channels;
  private final Duration getInfoTimeout;
  private final Duration notifyTimeout;

  RegistrationClient(AgentProperties properties, UnixChannels channels) {
    this.channels = channels;
    this.getInfoTimeout = properties.registration().getInfoTimeout();
    this.notifyTimeout = properties.registration().notifyTimeout();
  }

  /** Opens a session on a registration socket; closing it closes the connection. */
  Session open(Path socket) {
    ManagedChannel channel = channels.openForBlockingCalls(socket, MAX_MESSAGE_BYTES);
    return new Session(channel);
  }

  /** One connection to one registration socket. */
  final class Session implements AutoCloseable {
    private final ManagedChannel channel;

    private Session(ManagedChannel channel) {
      this.channel = channel;
    }

    PluginInfo getInfo() {
      return RegistrationGrpc.newBlockingStub(channel)
          .withDeadlineAfter(getInfoTimeout.toNanos(), TimeUnit.NANOSECONDS)
          .getInfo(InfoRequest.getDefaultInstance());
    }

    void notifyStatus(boolean registered, String error) {
      RegistrationGrpc.newBlockingStub(channel)
          .withDeadlineAfter(notifyTimeout.toNanos(), TimeUnit.NANOSECONDS)
          .notifyRegistrationStatus(
              RegistrationStatus.newBuilder()
                  .setPluginRegistered(registered)
                  .setError(error)
                  .build());
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }
}
