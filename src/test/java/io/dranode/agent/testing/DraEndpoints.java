package io.dranode.agent.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * DRA drivers' endpoints for tests that run the whole application: {@link FakePlugin}s that serve
 * nothing, on event loops of their own. The agent's connection monitor sees their channels READY (a
 * channel is READY as soon as the HTTP/2 connection is up), so a driver registered on one is usable
 * for real.
 */
public final class DraEndpoints implements AutoCloseable {

  private final EventLoops loops = EventLoops.start(1, "test-endpoint");
  private final List<FakePlugin> endpoints = new ArrayList<>();

  /** Starts an endpoint on the socket and returns its path. */
  public String serve(Path socket) {
    try {
      endpoints.add(FakePlugin.at(socket, loops.group()).start());
      return socket.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    endpoints.forEach(FakePlugin::close);
    loops.close();
  }
}
