package io.dranode.agent.testing;

import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A plugin as the agent meets it, on a real Unix socket: a registration service ({@link
 * PluginRegistration}), a device-health service ({@link PluginHealth}), both, or nothing at all (a
 * DRA endpoint whose channel only has to connect, or a gRPC server without the service asked for).
 *
 * <pre>{@code
 * FakePlugin gpu = FakePlugin.at(socket, loops).registration(info).start();
 * gpu.notifications().next();
 * }</pre>
 */
public final class FakePlugin implements AutoCloseable {

  private final UnixGrpcServer server;
  private final @Nullable PluginRegistration registration;
  private final @Nullable PluginHealth health;

  private FakePlugin(
      UnixGrpcServer server,
      @Nullable PluginRegistration registration,
      @Nullable PluginHealth health) {
    this.server = server;
    this.registration = registration;
    this.health = health;
  }

  public static Builder at(Path socket, EventLoopGroup loops) {
    return new Builder(socket, loops, plugin -> {});
  }

  /** What the plugin serves. */
  public static final class Builder {
    private final UnixGrpcServer.Builder server;
    private final Consumer<FakePlugin> started;
    private @Nullable PluginRegistration registration;
    private @Nullable PluginHealth health;

    Builder(Path socket, EventLoopGroup loops, Consumer<FakePlugin> started) {
      this.server = UnixGrpcServer.at(socket, loops);
      this.started = started;
    }

    /** A registration service answering {@code info}. */
    public Builder registration(PluginInfo info) {
      return registration(PluginRegistration.answering(info));
    }

    public Builder registration(PluginRegistration service) {
      registration = service;
      server.service(service);
      return this;
    }

    /** A health service in the versions asked for. */
    public Builder health(boolean v1, boolean v1alpha1) {
      PluginHealth service = new PluginHealth();
      if (v1) {
        server.service(service.v1());
      }
      if (v1alpha1) {
        server.service(service.v1alpha1());
      }
      health = service;
      return this;
    }

    /** One more socket, served alike; see {@link UnixGrpcServer#callSocket()}. */
    public Builder alsoAt(Path socket) {
      server.alsoAt(socket);
      return this;
    }

    /** Listens at the socket. */
    public FakePlugin start() throws IOException {
      return started(server.start());
    }

    /** Listens at a hidden name; the socket appears with {@link FakePlugin#link()}. */
    public FakePlugin startHidden() throws IOException {
      return started(server.startHidden());
    }

    private FakePlugin started(UnixGrpcServer running) {
      FakePlugin plugin = new FakePlugin(running, registration, health);
      started.accept(plugin);
      return plugin;
    }
  }

  public Path socket() {
    return server.socket();
  }

  public PluginRegistration registration() {
    if (registration == null) {
      throw new IllegalStateException(socket() + " serves no registration service");
    }
    return registration;
  }

  /** What its registration service was told. */
  public Notifications notifications() {
    return registration().notifications();
  }

  public PluginHealth health() {
    if (health == null) {
      throw new IllegalStateException(socket() + " serves no health service");
    }
    return health;
  }

  /** See {@link UnixGrpcServer#link()}. */
  public void link() throws IOException {
    server.link();
  }

  /** See {@link UnixGrpcServer#unlink()}. */
  public void unlink() throws IOException {
    server.unlink();
  }

  /** Stops at once and deletes its socket. Later calls do nothing. */
  @Override
  public void close() {
    server.close();
  }
}
