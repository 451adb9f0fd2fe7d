package io.dranode.bench;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * 6. Register/deregister churn: {@value #WORKERS} plugins, each cycling its socket (appear → wait
 * for {@code NotifyRegistrationStatus(true)} → disappear) until {@value #CYCLES} cycles are done;
 * the agent processes the removal before the next appearance (inotify keeps their order), and at
 * the end every cycle's {@code deregistered} event must have arrived. Threads, open descriptors,
 * RSS and the heap after a full GC are read after a warm-up of {@value #WARMUP} cycles and after
 * the measured ones.
 */
final class Churn implements Benchmark {

  static final int WORKERS = 4;
  static final int CYCLES = 1000;
  static final int WARMUP = 200;
  static final Duration BOUND = Duration.ofSeconds(10);

  @Override
  public String id() {
    return "churn";
  }

  @Override
  public List<Measure> measures() {
    return List.of(
        Measure.of(
            "churn.rate",
            "6. churn: 1,000 register/deregister cycles",
            "≥ 200 cycles/s",
            "cycles/s",
            s -> s.p50() >= 200),
        Measure.info("churn.cycle", "6a. … one cycle (appear → notified → removed)", "ms"),
        Measure.of(
            "churn.threads",
            "6b. … threads after − before",
            // pool threads end when idle, so fewer after is no leak; more would be
            "no growth (Δ ≤ 2)",
            "threads",
            s -> s.p50() <= 2),
        Measure.of(
            "churn.fds",
            "6c. … open file descriptors after − before",
            "flat (Δ within ±4)",
            "fds",
            s -> Math.abs(s.p50()) <= 4),
        Measure.of(
            "churn.heap",
            "6d. … heap after full GC, after − before",
            "flat (Δ within ±2 MB)",
            "MB",
            s -> Math.abs(s.p50()) <= 2));
  }

  @Override
  public void run(BenchContext context, RunRecord out) throws Exception {
    try (BenchRun env = new BenchRun()) {
      AgentProcess agent = env.startAgent(context, "churn-" + out.run);
      List<BenchPlugin> plugins = new ArrayList<>();
      for (int i = 0; i < WORKERS; i++) {
        plugins.add(
            env.own(
                new BenchPlugin(
                        String.format(Locale.ROOT, "ch%d.bench.example", i), env.kubeletRoot)
                    .start(context.pluginLoops())));
      }
      ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
      try {
        cycle(workers, plugins, WARMUP, new Samples());
        AgentProcess.ProcessStats before = agent.statsAfterGc();
        long deregisteredBefore = env.events().countOf("deregistered");
        Samples cycles = new Samples();
        long start = System.nanoTime();
        cycle(workers, plugins, CYCLES, cycles);
        double seconds = (System.nanoTime() - start) / 1e9;
        awaitDeregistrations(env.events(), deregisteredBefore + CYCLES);
        AgentProcess.ProcessStats after = agent.statsAfterGc();

        out.put("churn.rate", Samples.Summary.of(CYCLES / seconds));
        out.put("churn.cycle", cycles);
        out.put("churn.threads", Samples.Summary.of(after.threads() - before.threads()));
        out.put("churn.fds", Samples.Summary.of(after.fds() - before.fds()));
        out.put("churn.heap", Samples.Summary.of(after.heapAfterGcMb() - before.heapAfterGcMb()));
        out.note(
            String.format(
                Locale.ROOT,
                "%.0f cycles/s with %d workers; before: %s; after: %s",
                CYCLES / seconds,
                WORKERS,
                before,
                after));
      } finally {
        workers.shutdownNow();
      }
    }
  }

  /** Runs {@code total} cycles spread over the plugins, one worker each. */
  private static void cycle(
      ExecutorService workers, List<BenchPlugin> plugins, int total, Samples samples)
      throws Exception {
    List<Future<?>> running = new ArrayList<>();
    for (int w = 0; w < plugins.size(); w++) {
      BenchPlugin plugin = plugins.get(w);
      int share = total / plugins.size() + (w < total % plugins.size() ? 1 : 0);
      running.add(
          workers.submit(
              () -> {
                for (int i = 0; i < share; i++) {
                  long created = plugin.appear();
                  plugin.awaitRegistered(created, BOUND);
                  plugin.disappear();
                  samples.addNanos(System.nanoTime() - created);
                }
                return null;
              }));
    }
    for (Future<?> f : running) {
      f.get();
    }
  }

  private static void awaitDeregistrations(EventStream events, long expected) {
    await()
        .alias(expected + " deregistrations arrive")
        .atMost(BOUND)
        .pollInterval(Duration.ofMillis(10))
        .until(() -> events.countOf("deregistered") >= expected);
  }
}
