package io.dranode.bench;

import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.testing.FakePlugin;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A lightweight fake DRA plugin for load: its registration and DRA servers ({@link FakePlugin}s)
 * share the harness's event loops (an {@code ExampleDriver} brings its own threads per driver).
 * Like the example driver, its registration server listens at a hidden name and the public socket
 * is a hard link made once it listens, so "the socket appeared" is one timestamped {@code link()}
 * and a registration cycle is just {@link #appear()} and {@link #disappear()}: the servers stay up.
 */
final class BenchPlugin implements AutoCloseable {

  private final String driver;
  private final String type;
  private final Path registrationSocket;
  private final Path draSocket;
  private @Nullable FakePlugin registration;
  private @Nullable FakePlugin dra;

  BenchPlugin(String driver, Path kubeletRoot) {
    this(driver, kubeletRoot, "DRAPlugin");
  }

  /** A plugin that reports another type than {@code DRAPlugin} (which the agent refuses). */
  BenchPlugin(String driver, Path kubeletRoot, String type) {
    this.driver = driver;
    this.type = type;
    this.registrationSocket = kubeletRoot.resolve("plugins_registry").resolve(driver + "-reg.sock");
    this.draSocket = kubeletRoot.resolve("plugins").resolve(driver).resolve("dra.sock");
  }

  String driver() {
    return driver;
  }

  /** Starts both servers; the public registration socket does not exist yet. */
  BenchPlugin start(EventLoopGroup loops) throws IOException {
    // The agent only has to connect to the DRA endpoint: it serves nothing.
    dra = FakePlugin.at(draSocket, loops).start();
    registration =
        FakePlugin.at(registrationSocket, loops)
            .registration(
                PluginInfo.newBuilder()
                    .setType(type)
                    .setName(driver)
                    .setEndpoint(draSocket.toString())
                    .addSupportedVersions("v1.DRAPlugin")
                    .build())
            .startHidden();
    return this;
  }

  /** Makes the registration socket appear; returns {@link System#nanoTime()} just before. */
  long appear() throws IOException {
    long now = System.nanoTime();
    registration().link();
    return now;
  }

  /** Removes the registration socket; returns {@link System#nanoTime()} just before. */
  long disappear() throws IOException {
    long now = System.nanoTime();
    registration().unlink();
    return now;
  }

  /** When {@code NotifyRegistrationStatus(true)} arrived after {@code afterNanos}; waits. */
  long awaitRegistered(long afterNanos, Duration bound) throws InterruptedException {
    try {
      return registration().notifications().awaitRegisteredAfter(afterNanos, bound);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(driver + " " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (registration != null) {
      registration.close();
    }
    if (dra != null) {
      dra.close();
    }
  }

  private FakePlugin registration() {
    if (registration == null) {
      throw new IllegalStateException(driver + " is not started");
    }
    return registration;
  }
}
