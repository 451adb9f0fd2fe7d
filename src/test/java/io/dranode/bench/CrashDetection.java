package io.dranode.bench;

import io.dranode.example.ExampleDriver;
import io.dranode.example.ExampleDriverConfig;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * 3. A driver process killed, its sockets left behind → the agent reports it disconnected. Each
 * sample is an {@link ExampleDriver} (no API client) that registers, connects, then {@link
 * ExampleDriver#crash() crashes}; timed from the crash call to the SSE {@code disconnected} event.
 */
final class CrashDetection implements Benchmark {

  static final int DRIVERS = 30;
  static final Duration BOUND = Duration.ofSeconds(10);

  @Override
  public String id() {
    return "crash";
  }

  @Override
  public List<Measure> measures() {
    return List.of(
        Measure.of(
            "disconnected",
            "3. driver killed, socket left → SSE disconnected received",
            "≤ 100 ms",
            "ms",
            s -> s.max() <= 100));
  }

  @Override
  public void run(BenchContext context, RunRecord out) throws Exception {
    try (BenchRun env = new BenchRun()) {
      env.startAgent(context, "crash-" + out.run);
      EventStream events = env.events();
      Samples samples = new Samples();
      for (int i = 0; i < DRIVERS; i++) {
        String name = String.format(Locale.ROOT, "c%02d.bench.example", i);
        ExampleDriver driver =
            new ExampleDriver(ExampleDriverConfig.of(name, env.kubeletRoot, 1, AgentProcess.NODE));
        long started = System.nanoTime();
        driver.start();
        if (!driver.awaitRegistered(BOUND)) {
          throw new IllegalStateException(name + " not registered");
        }
        events.await("connected", name, started, BOUND);
        long killed = System.nanoTime();
        driver.crash();
        EventStream.Event lost = events.await("disconnected", name, killed, BOUND);
        samples.addNanos(lost.receivedNanos() - killed);
      }
      out.put("disconnected", samples);
      out.note("crash → disconnected " + samples.summary());
    }
  }
}
