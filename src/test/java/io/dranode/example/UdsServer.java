package io.dranode.example;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server on a Unix socket whose file the driver, not Netty, owns.
 *
 * <p>Netty unlinks a domain socket's path when its server channel closes, so a server bound at the
 * public path could never leave its socket behind the way a killed process does. The server is
 * therefore bound at a private hidden name in the same folder (the registrar ignores names starting
 * with a dot) and the public name is a hard link to that socket: connecting through either reaches
 * the same listener. A clean stop removes the public name first; {@link #kill} leaves it, a dead
 * socket that refuses connections, exactly what a crashed driver leaves.
 *
 * <p>The public name appears only once the server listens, so a registrar never sees it refuse a
 * first dial; the real helper shows the file a moment before it listens.
 */
final class UdsServer {

  private static final Logger log = LoggerFactory.getLogger(UdsServer.class);
  private static final String HIDDEN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";

  private final Path publicPath;
  private final Path bindPath;
  private final Server server;

  private UdsServer(Path publicPath, Path bindPath, Server server) {
    this.publicPath = publicPath;
    this.bindPath = bindPath;
    this.server = server;
  }

  /** Serves the services, then makes the public socket appear (replacing a stale one). */
  static UdsServer start(Path publicPath, EventLoopGroup group, List<BindableService> services)
      throws IOException {
    Path folder = Objects.requireNonNull(publicPath.getParent(), "a socket path has a folder");
    Files.createDirectories(folder);
    Path bindPath = freeHiddenName(folder);
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new DomainSocketAddress(bindPath.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(group)
            .workerEventLoopGroup(group)
            .directExecutor();
    services.forEach(builder::addService);
    Server server = builder.build().start();
    try {
      // The helper removes a stale socket (a crashed predecessor's) before it listens anew.
      Files.deleteIfExists(publicPath);
      Files.createLink(publicPath, bindPath);
    } catch (IOException e) {
      server.shutdownNow();
      Files.deleteIfExists(bindPath);
      throw e;
    }
    return new UdsServer(publicPath, bindPath, server);
  }

  Path publicPath() {
    return publicPath;
  }

  /** Removes the public socket, then lets calls in flight finish within the bound. */
  void stop(Duration bound) {
    deleteQuietly(publicPath);
    server.shutdown();
    awaitTermination(bound);
    deleteQuietly(bindPath);
  }

  /** Stops at once, cancelling calls, and leaves the public socket file behind. */
  void kill(Duration bound) {
    server.shutdownNow();
    awaitTermination(bound);
    deleteQuietly(bindPath);
  }

  private void awaitTermination(Duration bound) {
    try {
      if (!server.awaitTermination(bound.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        if (!server.awaitTermination(bound.toMillis(), TimeUnit.MILLISECONDS)) {
          log.warn("gRPC server on {} did not terminate within {}", publicPath, bound);
        }
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static Path freeHiddenName(Path folder) {
    // "." + 7 characters: never longer than the public names ("dra.sock" has 8), so a public path
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
}
