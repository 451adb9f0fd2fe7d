package io.dranode.bench;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * 9. Nothing changes for a while (the issue asks for 10 minutes; {@code -Dbench.idle}): the agent
 * must make no LIST or GET calls (no polling) and keep the one watch it opened. 10 drivers with one
 * slice each are registered, the slice watch is up, then the requests the in-memory API receives
 * during the window are counted by kind. One run by default: the count is not a distribution.
 */
final class SteadyState implements Benchmark {

  static final int DRIVERS = 10;
  static final Duration BOUND = Duration.ofSeconds(10);

  @Override
  public String id() {
    return "idle";
  }

  @Override
  public int runs(BenchOptions options) {
    return 1;
  }

  @Override
  public List<Measure> measures() {
    return List.of(
        Measure.of(
            "idle.polls",
            "9. steady state: LIST + GET calls during the idle window",
            "0",
            "calls",
            s -> s.p50() == 0),
        Measure.of(
            "idle.watches",
            "9a. … watches opened since start (and still open at the end)",
            "1",
            "watches",
            s -> s.p50() == 1),
        Measure.info("idle.other", "9b. … any other calls during the window", "calls"));
  }

  @Override
  public void run(BenchContext context, RunRecord out) throws Exception {
    Duration window = context.options().idle();
    try (BenchRun env = new BenchRun()) {
      int start = env.api.mark();
      AgentProcess agent = env.startAgent(context, "idle-" + out.run);
      for (int i = 0; i < DRIVERS; i++) {
        BenchPlugin plugin =
            env.own(
                new BenchPlugin(
                        String.format(Locale.ROOT, "i%02d.bench.example", i), env.kubeletRoot)
                    .start(context.pluginLoops()));
        long created = plugin.appear();
        plugin.awaitRegistered(created, BOUND);
        env.events().await("connected", plugin.driver(), created, BOUND);
        env.api.createSlice(plugin.driver() + "-slice", plugin.driver(), AgentProcess.NODE);
      }
      awaitWatching(agent);
      Map<String, Integer> startup = env.api.countByKind(start);
      int mark = env.api.mark();
      out.note("agent's calls until idle: " + startup + "; idle window " + window);
      Thread.sleep(window.toMillis()); // the measured window itself: nothing may happen in it
      Map<String, Integer> during = env.api.countByKind(mark);
      int polls = during.getOrDefault("LIST", 0) + during.getOrDefault("GET", 0);
      int others =
          during.values().stream().mapToInt(Integer::intValue).sum()
              - polls
              - during.getOrDefault("WATCH", 0);
      int watches = env.api.countByKind(start).getOrDefault("WATCH", 0);
      boolean stillWatching = watching(agent);
      out.put("idle.polls", Samples.Summary.of(polls));
      out.put("idle.watches", Samples.Summary.of(stillWatching ? watches : -1));
      out.put("idle.other", Samples.Summary.of(others));
      out.note(
          "calls during "
              + window
              + ": "
              + during
              + "; watches since start: "
              + watches
              + "; still watching: "
              + stillWatching);
    }
  }

  private static boolean watching(AgentProcess agent) throws Exception {
    return "watching"
        .equals(
            Rest.get(agent.management("/actuator/health"))
                .body()
                .path("components")
                .path("kubernetesApi")
                .path("details")
                .path("sliceWatch")
                .asString());
  }

  private static void awaitWatching(AgentProcess agent) {
    await()
        .alias("the agent's slice watch comes up")
        .atMost(BOUND)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> watching(agent));
  }
}
