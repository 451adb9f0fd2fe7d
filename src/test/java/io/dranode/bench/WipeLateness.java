package io.dranode.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * 4. How late a wipe runs after its deadline. The agent runs with {@code dra.agent.wipe.delay=1s};
 * each driver has one slice; its socket is removed, {@code dueAt} is read from {@code
 * /api/v1/cleanups}, and compared with the arrival of the slice's DELETE at the in-memory API (and
 * with the wipe's first request, and the {@code wiped} event). One driver at a time.
 */
final class WipeLateness implements Benchmark {

  static final int DRIVERS = 50;
  static final Duration BOUND = Duration.ofSeconds(15);

  @Override
  public String id() {
    return "lateness";
  }

  @Override
  public List<Measure> measures() {
    return List.of(
        Measure.of(
            "lateness.delete",
            "4. wipe lateness: DELETE arrives at the API − dueAt (delay 1 s)",
            "p99 ≤ 50 ms",
            "ms",
            s -> s.p99() <= 50),
        Measure.info("lateness.first", "4a. … first request of the wipe (LIST) − dueAt", "ms"),
        Measure.info("lateness.wiped", "4b. … SSE wiped received − dueAt", "ms"));
  }

  @Override
  public void run(BenchContext context, RunRecord out) throws Exception {
    try (BenchRun env = new BenchRun()) {
      env.startAgent(context, "lateness-" + out.run, "--dra.agent.wipe.delay=1s");
      EventStream events = env.events();
      List<BenchPlugin> plugins = new java.util.ArrayList<>();
      for (int i = 0; i < DRIVERS; i++) {
        BenchPlugin plugin =
            env.own(
                new BenchPlugin(
                        String.format(Locale.ROOT, "w%03d.bench.example", i), env.kubeletRoot)
                    .start(context.pluginLoops()));
        long created = plugin.appear();
        plugin.awaitRegistered(created, BOUND);
        events.await("connected", plugin.driver(), created, BOUND);
        // After registering: the start-up sweep must not find it as an orphan.
        env.api.createSlice(sliceName(plugin.driver()), plugin.driver(), AgentProcess.NODE);
        plugins.add(plugin);
      }
      Samples delete = new Samples();
      Samples first = new Samples();
      Samples wiped = new Samples();
      for (BenchPlugin plugin : plugins) {
        String driver = plugin.driver();
        int mark = env.api.mark();
        long removed = plugin.disappear();
        events.await("wipe-scheduled", driver, removed, BOUND);
        Instant dueAt = dueAt(env, driver);
        EventStream.Event done = events.await("wiped", driver, removed, BOUND);
        ApiRequest del =
            env.api.firstSince(
                mark, r -> r.kind().equals("DELETE") && r.name().equals(sliceName(driver)));
        ApiRequest list =
            env.api.firstSince(mark, r -> r.isResourceSlices() && !r.kind().equals("WATCH"));
        if (del == null || list == null) {
          throw new IllegalStateException("no DELETE of the slice of " + driver + " recorded");
        }
        delete.addNanos(Duration.between(dueAt, del.at()).toNanos());
        first.addNanos(Duration.between(dueAt, list.at()).toNanos());
        wiped.addNanos(Duration.between(dueAt, done.receivedAt()).toNanos());
      }
      out.put("lateness.delete", delete);
      out.put("lateness.first", first);
      out.put("lateness.wiped", wiped);
      out.note("DELETE − dueAt " + delete.summary() + "; first request − dueAt " + first.summary());
    }
  }

  static String sliceName(String driver) {
    return driver + "-slice";
  }

  /** The pending wipe's deadline, as {@code GET /api/v1/cleanups} shows it. */
  static Instant dueAt(BenchRun env, String driver) throws Exception {
    for (var wipe : Rest.get(env.agent().api("/api/v1/cleanups")).body().path("pending")) {
      if (driver.equals(wipe.path("driver").asString())) {
        return Instant.parse(wipe.path("dueAt").asString());
      }
    }
    throw new IllegalStateException("no pending wipe of " + driver + " in /api/v1/cleanups");
  }
}
