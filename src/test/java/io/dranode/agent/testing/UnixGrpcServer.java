package io.dranode.agent.testing;

import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server on Unix sockets, what every fake plugin and the example driver are built on. It
 * runs on event loops its owner passes in, and answers on them.
 *
 * <p>{@link Builder#start()} binds at the sockets themselves; Netty deletes the files when the
 * server closes. {@link Builder#startHidden()} binds at a hidden name in the socket's folder (a
 * registrar skips names that start with a dot) and {@link #link()} makes the socket appear as a
 * hard link to it: in one step, only once the server listens. Such a socket can also outlive its
 * server ({@link #kill}), a dead socket that refuses connections, as a killed process leaves it.
 */
public final class UnixGrpcServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(UnixGrpcServer.class);
  private static final Duration BOUND = Duration.ofSeconds(5);
  private static final Context.Key<Path> CALL_SOCKET = Context.key("socket");
  private static final String HIDDEN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";

  private final List<Path> sockets;
  private final @Nullable Path hidden;
  private final Server server;
  private boolean down; // guarded by this

  private UnixGrpcServer(List<Path> sockets, @Nullable Path hidden, Server server) {
    this.sockets = sockets;
    this.hidden = hidden;
    this.server = server;
  }

  public static Builder at(Path socket, EventLoopGroup loops) {
    return new Builder(socket, loops);
  }

  /** What to serve and where; the folders of the sockets are created at start. */
  public static final class Builder {
    private final List<Path> sockets = new ArrayList<>();
    private final EventLoopGroup loops;
    private final List<ServerServiceDefinition> services = new ArrayList<>();

    private Builder(Path socket, EventLoopGroup loops) {
      this.sockets.add(socket);
      this.loops = loops;
    }

    public Builder service(BindableService service) {
      return service(service.bindService());
    }

    public Builder service(ServerServiceDefinition service) {
      services.add(service);
      return this;
    }

    /** One more socket for the same server; {@link #callSocket()} tells the calls apart. */
    public Builder alsoAt(Path socket) {
      sockets.add(socket);
      return this;
    }

    /** Listens at the sockets. */
    public UnixGrpcServer start() throws IOException {
      Map<Path, Path> byBound = new HashMap<>();
      sockets.forEach(socket -> byBound.put(socket, socket));
      return new UnixGrpcServer(List.copyOf(sockets), null, listen(byBound));
    }

    /** Listens at a hidden name beside the socket, which does not exist until {@link #link()}. */
    public UnixGrpcServer startHidden() throws IOException {
      if (sockets.size() != 1) {
        throw new IllegalStateException("a hidden server has one socket, not " + sockets);
      }
      Path socket = sockets.get(0);
      Path hidden = freeHiddenName(folderOf(socket));
      return new UnixGrpcServer(List.of(socket), hidden, listen(Map.of(hidden, socket)));
    }

    private Server listen(Map<Path, Path> socketByBound) throws IOException {
      NettyServerBuilder builder = null;
      for (Path bound : socketByBound.keySet()) {
        Files.createDirectories(folderOf(bound));
        DomainSocketAddress address = new DomainSocketAddress(bound.toString());
        builder =
            builder == null
                ? NettyServerBuilder.forAddress(address)
                : builder.addListenAddress(address);
      }
      Objects.requireNonNull(builder, "a server has a socket");
      builder
          .channelType(EpollServerDomainSocketChannel.class)
          .bossEventLoopGroup(loops)
          .workerEventLoopGroup(loops)
          .directExecutor()
          .intercept(new CallSocket(socketByBound));
      services.forEach(builder::addService);
      return builder.build().start();
    }
  }

  /** The socket its clients dial (the first one given). */
  public Path socket() {
    return sockets.get(0);
  }

  /**
   * The socket that the current call came in on, as its clients name it (not the hidden name).
   *
   * @throws IllegalStateException outside a call served by a {@code UnixGrpcServer}
   */
  public static Path callSocket() {
    Path socket = CALL_SOCKET.get();
    if (socket == null) {
      throw new IllegalStateException("not in a call of a UnixGrpcServer");
    }
    return socket;
  }

  /** Makes the socket of a hidden server appear, replacing a stale file of that name. */
  public void link() throws IOException {
    Path bound = hiddenName();
    Files.deleteIfExists(socket());
    Files.createLink(socket(), bound);
  }

  /** Removes the socket of a hidden server; the server keeps listening at its hidden name. */
  public void unlink() throws IOException {
    hiddenName();
    Files.delete(socket());
  }

  /** Removes the sockets first, then lets the calls in flight finish within the bound. */
  public void stop(Duration bound) {
    if (goDown()) {
      sockets.forEach(UnixGrpcServer::deleteQuietly);
      server.shutdown();
      awaitTermination(bound);
      deleteHidden();
    }
  }

  /** Stops at once, cutting calls; the socket of a hidden server stays behind, dead. */
  public void kill(Duration bound) {
    if (goDown()) {
      server.shutdownNow();
      awaitTermination(bound);
      deleteHidden();
    }
  }

  /** Deletes its sockets and stops at once, cutting calls. Later calls do nothing. */
  @Override
  public void close() {
    if (goDown()) {
      sockets.forEach(UnixGrpcServer::deleteQuietly);
      server.shutdownNow();
      awaitTermination(BOUND);
      deleteHidden();
    }
  }

  private synchronized boolean goDown() {
    boolean first = !down;
    down = true;
    return first;
  }

  private Path hiddenName() {
    if (hidden == null) {
      throw new IllegalStateException(socket() + " is bound at its own name: start it hidden");
    }
    return hidden;
  }

  private void deleteHidden() {
    if (hidden != null) {
      deleteQuietly(hidden);
    }
  }

  private void awaitTermination(Duration bound) {
    try {
      if (!server.awaitTermination(bound.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        if (!server.awaitTermination(bound.toMillis(), TimeUnit.MILLISECONDS)) {
          log.warn("gRPC server on {} did not terminate within {}", socket(), bound);
        }
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static Path folderOf(Path socket) {
    return Objects.requireNonNull(socket.toAbsolutePath().getParent(), "a socket has a folder");
  }

  private static Path freeHiddenName(Path folder) {
    // "." + 7 characters: never longer than the public names ("dra.sock" has 8), so a socket path
    // that fits the 108-byte limit guarantees that this one fits too.
    while (true) {
      StringBuilder name = new StringBuilder(".");
      for (int i = 0; i < 7; i++) {
        name.append(
            HIDDEN_CHARS.charAt(ThreadLocalRandom.current().nextInt(HIDDEN_CHARS.length())));
      }
      Path candidate = folder.resolve(name.toString());
      if (!Files.exists(candidate)) {
        return candidate;
      }
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.warn("could not delete {}: {}", path, e.toString());
    }
  }

  /** Puts the socket a call came in on into the call's context, for {@link #callSocket()}. */
  private static final class CallSocket implements ServerInterceptor {
    private final Map<Path, Path> socketByBound;

    CallSocket(Map<Path, Path> socketByBound) {
      this.socketByBound = Map.copyOf(socketByBound);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      SocketAddress local = call.getAttributes().get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR);
      Path socket =
          local instanceof DomainSocketAddress uds ? socketByBound.get(Path.of(uds.path())) : null;
      if (socket == null) {
        return next.startCall(call, headers);
      }
      return Contexts.interceptCall(
          Context.current().withValue(CALL_SOCKET, socket), call, headers, next);
    }
  }
}
