package io.dranode.bench;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * 2. Socket removed → driver unusable and its wipe pending, seen on the event stream ({@code
 * wipe-scheduled} as received by a client; {@code deregistered} too). The REST views are checked on
 * the first few: {@code GET /api/v1/plugins/{driver}} shows the driver unusable, without instances
 * and with its pending wipe (it stays listed until the wipe ran), and {@code /api/v1/cleanups}
 * lists the wipe as pending. The wipe delay stays at its 30 s default so that no wipe runs
 * meanwhile.
 */
final class DeregistrationLatency implements Benchmark {

  static final int DRIVERS = 100;
  static final int CHECKED_BY_REST = 5;
  static final Duration BOUND = Duration.ofSeconds(10);

  @Override
  public String id() {
    return "deregister";
  }

  @Override
  public List<Measure> measures() {
    return List.of(
        Measure.of(
            "wipe-scheduled",
            "2. socket removed → wipe pending (SSE wipe-scheduled received)",
            "p99 ≤ 10 ms",
            "ms",
            s -> s.p99() <= 10),
        Measure.info(
            "wipe-scheduled.server", "2a. … agent's own event time − removal (no SSE)", "ms"),
        Measure.info("deregistered", "2b. socket removed → SSE deregistered received", "ms"));
  }

  @Override
  public void run(BenchContext context, RunRecord out) throws Exception {
    try (BenchRun env = new BenchRun()) {
      env.startAgent(context, "deregister-" + out.run);
      EventStream events = env.events();
      List<BenchPlugin> plugins = new java.util.ArrayList<>();
      for (int i = 0; i < DRIVERS; i++) {
        BenchPlugin plugin =
            env.own(
                new BenchPlugin(
                        String.format(Locale.ROOT, "u%03d.bench.example", i), env.kubeletRoot)
                    .start(context.pluginLoops()));
        long created = plugin.appear();
        plugin.awaitRegistered(created, BOUND);
        events.await("connected", plugin.driver(), created, BOUND);
        plugins.add(plugin);
      }
      Samples scheduled = new Samples();
      Samples server = new Samples();
      Samples deregistered = new Samples();
      int checked = 0;
      for (BenchPlugin plugin : plugins) {
        java.time.Instant removedAt = java.time.Instant.now();
        long removed = plugin.disappear();
        EventStream.Event wipe = events.await("wipe-scheduled", plugin.driver(), removed, BOUND);
        EventStream.Event gone = events.await("deregistered", plugin.driver(), removed, BOUND);
        scheduled.addNanos(wipe.receivedNanos() - removed);
        server.addNanos(Duration.between(removedAt, wipe.time()).toNanos());
        deregistered.addNanos(gone.receivedNanos() - removed);
        if (checked++ < CHECKED_BY_REST) {
          checkRest(env, plugin.driver());
        }
      }
      out.put("wipe-scheduled", scheduled);
      out.put("wipe-scheduled.server", server);
      out.put("deregistered", deregistered);
      out.note(
          "wipe-scheduled via SSE "
              + scheduled.summary()
              + "; REST checked on "
              + CHECKED_BY_REST
              + " drivers: unusable, no instance, wipe pending");
    }
  }

  private static void checkRest(BenchRun env, String driver) throws Exception {
    var view = Rest.get(env.agent().api("/api/v1/plugins/" + driver));
    if (view.status() != 200
        || view.body().path("usable").asBoolean(true)
        || !view.body().path("instances").isEmpty()
        || !driver.equals(view.body().path("pendingWipe").path("driver").asString())) {
      throw new IllegalStateException(
          driver
              + " not shown unusable with its pending wipe after removal: HTTP "
              + view.status());
    }
    boolean pending = false;
    for (var wipe : Rest.get(env.agent().api("/api/v1/cleanups")).body().path("pending")) {
      pending |= driver.equals(wipe.path("driver").asString());
    }
    if (!pending) {
      throw new IllegalStateException("no pending wipe of " + driver + " in /api/v1/cleanups");
    }
  }
}
