package io.dranode.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Everything one run of one benchmark needs, fresh each time: a short kubelet root under /tmp
 * (socket paths must stay under 108 bytes), the in-memory API with this node's Node, the agent
 * process, and its event stream. Closing it stops the agent and removes the folder.
 */
final class BenchRun implements AutoCloseable {

  static final Duration READY_BOUND = Duration.ofSeconds(90);

  final MockApi api;
  final Path kubeletRoot;
  final List<AutoCloseable> owned = new ArrayList<>();
  private @Nullable AgentProcess agent;
  private @Nullable EventStream events;

  BenchRun() throws IOException {
    this.kubeletRoot = Files.createTempDirectory(Path.of("/tmp"), "drab");
    this.api = new MockApi(AgentProcess.NODE);
  }

  /** Starts the agent with the given extra Spring arguments, waits until ready, opens events. */
  AgentProcess startAgent(BenchContext context, String label, String... args)
      throws IOException, InterruptedException {
    return startAgent(context, label, context.variant().jar(), List.of(), args);
  }

  /** The same, with another jar (e.g. extracted) and more JVM flags (e.g. a CDS archive). */
  AgentProcess startAgent(
      BenchContext context, String label, Path jar, List<String> moreJvmFlags, String... args)
      throws IOException, InterruptedException {
    String name = context.label(label);
    Path log = context.out().resolve("logs").resolve(name + ".log");
    List<String> flags =
        new ArrayList<>(
            AgentFlags.forAgent(
                context.options(),
                context.variant(),
                api.url(),
                context.out().resolve("jfr").resolve(name + ".jfr")));
    flags.addAll(moreJvmFlags);
    List<String> agentArgs = new ArrayList<>(List.of(args));
    agentArgs.addAll(context.variant().args());
    AgentProcess started =
        AgentProcess.start(context.variant(), flags, jar, kubeletRoot, agentArgs, log);
    agent = started;
    started.markReady(started.awaitReady(READY_BOUND));
    EventStream stream = EventStream.open(started.api("/api/v1/events"));
    events = stream;
    probe(context, stream);
    return started;
  }

  /**
   * Makes one event happen and waits for it, so the stream is known to be subscribed: a plugin of
   * an unknown type is refused ({@code rejected}, named after its socket), then removed again.
   */
  private void probe(BenchContext context, EventStream stream)
      throws IOException, InterruptedException {
    try (BenchPlugin probe =
        new BenchPlugin("probe.bench.example", kubeletRoot, "BenchProbe")
            .start(context.pluginLoops())) {
      long created = probe.appear();
      stream.await("rejected", "probe.bench.example-reg.sock", created, READY_BOUND);
      probe.disappear();
    }
  }

  AgentProcess agent() {
    if (agent == null) {
      throw new IllegalStateException("agent not started");
    }
    return agent;
  }

  EventStream events() {
    if (events == null) {
      throw new IllegalStateException("agent not started");
    }
    return events;
  }

  /** Closes this with the run, in reverse order of adding. */
  <T extends AutoCloseable> T own(T closeable) {
    owned.add(closeable);
    return closeable;
  }

  @Override
  public void close() throws Exception {
    for (int i = owned.size() - 1; i >= 0; i--) {
      owned.get(i).close();
    }
    if (events != null) {
      events.close();
    }
    if (agent != null) {
      agent.close();
    }
    api.close();
    try (Stream<Path> tree = Files.walk(kubeletRoot)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
