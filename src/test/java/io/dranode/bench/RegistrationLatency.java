package io.dranode.bench;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * 1. Socket created → the plugin receives {@code NotifyRegistrationStatus(true)}, for 200 sockets
 * one after another (each plugin's servers already listen; the timed step is the {@code link()}
 * that makes its socket appear). The first {@value #WARMUP} registrations of a fresh agent warm it
 * up and are not counted.
 */
final class RegistrationLatency implements Benchmark {

  static final int SOCKETS = 200;
  static final int WARMUP = 20;
  static final Duration BOUND = Duration.ofSeconds(10);
  static final String SUM = "dra_agent_registration_duration_seconds_sum";
  static final String COUNT = "dra_agent_registration_duration_seconds_count";

  @Override
  public String id() {
    return "register";
  }

  @Override
  public List<Measure> measures() {
    return List.of(
        Measure.of(
            "register",
            "1. socket created → NotifyRegistrationStatus(true) received (200 sockets)",
            "p50 ≤ 3 ms, p99 ≤ 10 ms",
            "ms",
            s -> s.p50() <= 3 && s.p99() <= 10),
        Measure.info("register.cold", "1a. … first registration of a fresh agent", "ms"),
        Measure.info(
            "register.agent",
            "1b. … agent's own mean, socket seen → recorded (its registration metric)",
            "ms"));
  }

  @Override
  public void run(BenchContext context, RunRecord out) throws Exception {
    try (BenchRun env = new BenchRun()) {
      AgentProcess agent = env.startAgent(context, "register-" + out.run);
      Samples samples = new Samples();
      double sum = 0;
      double count = 0;
      for (int i = 0; i < WARMUP + SOCKETS; i++) {
        BenchPlugin plugin =
            env.own(
                new BenchPlugin(
                        String.format(Locale.ROOT, "r%03d.bench.example", i), env.kubeletRoot)
                    .start(context.pluginLoops()));
        long created = plugin.appear();
        long registered = plugin.awaitRegistered(created, BOUND);
        if (i == WARMUP - 1) {
          sum = Prometheus.value(agent.management("/actuator/prometheus"), SUM);
          count = Prometheus.value(agent.management("/actuator/prometheus"), COUNT);
        }
        if (i == 0) {
          out.put("register.cold", Samples.Summary.of((registered - created) / 1e6));
        }
        if (i >= WARMUP) {
          samples.addNanos(registered - created);
        }
      }
      double agentMean =
          (Prometheus.value(agent.management("/actuator/prometheus"), SUM) - sum)
              / (Prometheus.value(agent.management("/actuator/prometheus"), COUNT) - count)
              * 1000;
      out.put("register.agent", Samples.Summary.of(agentMean));
      out.put("register", samples);
      out.note("registration latency " + samples.summary());
    }
  }
}
