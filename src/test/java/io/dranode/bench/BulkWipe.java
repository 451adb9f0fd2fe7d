package io.dranode.bench;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * 5. One driver with 1,000 slices on this node is wiped. Decoys prove the filter: 100 slices of the
 * same driver on another node and 100 of another (registered) driver on this node must survive.
 * Reported: from the deadline to the {@code wiped} event, the first to last request at the API, and
 * the number of API calls the wipe made.
 */
final class BulkWipe implements Benchmark {

  static final String DRIVER = "bulk.bench.example";
  static final String OTHER_DRIVER = "other.bench.example";
  static final int SLICES = 1000;
  static final int DECOYS = 100;
  static final Duration BOUND = Duration.ofSeconds(60);

  @Override
  public String id() {
    return "bulk";
  }

  @Override
  public List<Measure> measures() {
    return List.of(
        Measure.of(
            "bulk.due-to-wiped",
            "5. 1,000 slices of one driver wiped: dueAt → wiped (agent's event time)",
            "≤ 2 s",
            "ms",
            s -> s.p50() <= 2000),
        Measure.info("bulk.requests", "5a. … first → last request of the wipe at the API", "ms"),
        Measure.info("bulk.calls", "5b. … API calls made by the wipe", "calls"));
  }

  @Override
  public void run(BenchContext context, RunRecord out) throws Exception {
    try (BenchRun env = new BenchRun()) {
      env.startAgent(context, "bulk-" + out.run, "--dra.agent.wipe.delay=1s");
      EventStream events = env.events();
      // Both drivers are registered before their slices exist: the start-up sweep (one wipe delay
      // after start) would otherwise, rightly, wipe the slices of a driver not registered yet.
      BenchPlugin plugin =
          env.own(new BenchPlugin(DRIVER, env.kubeletRoot).start(context.pluginLoops()));
      BenchPlugin other =
          env.own(new BenchPlugin(OTHER_DRIVER, env.kubeletRoot).start(context.pluginLoops()));
      for (BenchPlugin p : List.of(plugin, other)) {
        long created = p.appear();
        p.awaitRegistered(created, BOUND);
        events.await("connected", p.driver(), created, BOUND);
      }
      for (int i = 0; i < SLICES; i++) {
        env.api.createSlice(String.format(Locale.ROOT, "bulk-%04d", i), DRIVER, AgentProcess.NODE);
      }
      for (int i = 0; i < DECOYS; i++) {
        env.api.createSlice(String.format(Locale.ROOT, "other-node-%03d", i), DRIVER, "node-b");
        env.api.createSlice(
            String.format(Locale.ROOT, "other-driver-%03d", i), OTHER_DRIVER, AgentProcess.NODE);
      }
      awaitInventory(env);

      int mark = env.api.mark();
      long removed = plugin.disappear();
      events.await("wipe-scheduled", DRIVER, removed, BOUND);
      Instant dueAt = WipeLateness.dueAt(env, DRIVER);
      EventStream.Event wiped = events.await("wiped", DRIVER, removed, BOUND);
      List<ApiRequest> calls =
          env.api.agentRequestsSince(mark).stream().filter(r -> !r.at().isBefore(dueAt)).toList();
      Map<String, Integer> byKind = env.api.countByKind(mark);
      if (calls.isEmpty()) {
        throw new IllegalStateException("the wipe made no API call");
      }
      double dueToWiped = Duration.between(dueAt, wiped.time()).toNanos() / 1e6;
      double span =
          Duration.between(calls.get(0).at(), calls.get(calls.size() - 1).at()).toNanos() / 1e6;
      out.put("bulk.due-to-wiped", Samples.Summary.of(dueToWiped));
      out.put("bulk.requests", Samples.Summary.of(span));
      out.put("bulk.calls", Samples.Summary.of(calls.size()));

      List<ResourceSlice> left = env.api.slices();
      long ours =
          left.stream()
              .filter(
                  s ->
                      DRIVER.equals(s.getSpec().getDriver())
                          && AgentProcess.NODE.equals(s.getSpec().getNodeName()))
              .count();
      if (ours != 0 || left.size() != 2 * DECOYS) {
        throw new IllegalStateException(
            "after the wipe " + ours + " slices of ours and " + left.size() + " in all remain");
      }
      out.note(
          String.format(
              Locale.ROOT,
              "dueAt→wiped %.0f ms, first→last request %.0f ms, calls %s (%s); %s; %d decoys kept",
              dueToWiped,
              span,
              calls.size(),
              byKind,
              wiped.detail(),
              left.size()));
    }
  }

  /** Waits until the agent's informer shows all the slices (so the wipe does not race it). */
  private static void awaitInventory(BenchRun env) {
    await()
        .alias("the agent's inventory shows " + SLICES + " slices of " + DRIVER)
        .atMost(BOUND)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              for (var driver :
                  Rest.get(env.agent().api("/api/v1/resourceslices")).body().path("drivers")) {
                if (DRIVER.equals(driver.path("driver").asString())
                    && driver.path("slices").size() == SLICES) {
                  return true;
                }
              }
              return false;
            });
  }
}
