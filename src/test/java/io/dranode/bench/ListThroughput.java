package io.dranode.bench;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * 7. {@code GET /api/v1/plugins} with 50 drivers registered, loaded by {@code wrk} on loopback:
 * {@value #THREADS} threads, {@value #CONNECTIONS} connections, {@value #SECONDS} s, after a 5 s
 * warm-up with the same settings. Debian's {@code wrk} must be installed ({@code apt-get install -y
 * wrk}); without it this benchmark says so and is skipped.
 */
final class ListThroughput implements Benchmark {

  static final int DRIVERS = 50;
  static final int THREADS = 2;
  static final int CONNECTIONS = 20;
  static final int SECONDS = 15;
  static final Duration BOUND = Duration.ofSeconds(10);

  private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern LATENCY =
      Pattern.compile("Latency\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+\\S+");
  private static final Pattern PERCENTILE =
      Pattern.compile("^\\s+(50|99)%\\s+(\\S+)", Pattern.MULTILINE);
  private static final Pattern ERRORS = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

  @Override
  public String id() {
    return "list";
  }

  @Override
  public List<Measure> measures() {
    return List.of(
        Measure.of(
            "list.rate",
            "7. GET /api/v1/plugins, 50 drivers, wrk -t2 -c20 -d15s: throughput",
            "≥ 10,000 req/s",
            "req/s",
            s -> s.p50() >= 10_000),
        Measure.of(
            "list.latency",
            "7a. … latency (wrk: p50 / p99 / max)",
            "p99 ≤ 5 ms",
            "ms",
            s -> s.p99() <= 5),
        Measure.info("list.bytes", "7b. … response size", "bytes"));
  }

  static Path wrk() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator, -1)) {
      Path candidate = Path.of(dir, "wrk");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("wrk is not installed: apt-get install -y wrk");
  }

  @Override
  public void run(BenchContext context, RunRecord out) throws Exception {
    Path wrk = wrk();
    try (BenchRun env = new BenchRun()) {
      AgentProcess agent = env.startAgent(context, "list-" + out.run);
      for (int i = 0; i < DRIVERS; i++) {
        BenchPlugin plugin =
            env.own(
                new BenchPlugin(
                        String.format(Locale.ROOT, "l%02d.bench.example", i), env.kubeletRoot)
                    .start(context.pluginLoops()));
        long created = plugin.appear();
        plugin.awaitRegistered(created, BOUND);
        env.events().await("connected", plugin.driver(), created, BOUND);
      }
      String url = agent.api("/api/v1/plugins").toString();
      int drivers = Rest.get(agent.api("/api/v1/plugins")).body().path("drivers").size();
      if (drivers != DRIVERS) {
        throw new IllegalStateException(
            "expected " + DRIVERS + " drivers, the API shows " + drivers);
      }
      long bytes =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(agent.api("/api/v1/plugins")).build(),
                  java.net.http.HttpResponse.BodyHandlers.ofByteArray())
              .body()
              .length;
      wrk(wrk, url, 5, context.out().resolve("logs").resolve("wrk-warmup-" + out.run + ".txt"));
      String report =
          wrk(wrk, url, SECONDS, context.out().resolve("logs").resolve("wrk-" + out.run + ".txt"));
      Matcher rate = RATE.matcher(report);
      Matcher latency = LATENCY.matcher(report);
      Matcher errors = ERRORS.matcher(report);
      if (!rate.find() || !latency.find()) {
        throw new IllegalStateException("cannot read wrk's report:\n" + report);
      }
      double p50 = Double.NaN;
      double p99 = Double.NaN;
      Matcher pct = PERCENTILE.matcher(report);
      while (pct.find()) {
        if (pct.group(1).equals("50")) {
          p50 = millis(pct.group(2));
        } else {
          p99 = millis(pct.group(2));
        }
      }
      double max = millis(latency.group(3));
      out.put("list.rate", Samples.Summary.of(Double.parseDouble(rate.group(1))));
      out.put("list.latency", new Samples.Summary(p50, p99, max, 0));
      out.put("list.bytes", Samples.Summary.of((double) bytes));
      out.note(
          String.format(
              Locale.ROOT,
              "%s req/s, latency p50 %.2f ms p99 %.2f ms max %.2f ms, %d bytes per response%s",
              rate.group(1),
              p50,
              p99,
              max,
              bytes,
              errors.find() ? ", NON-2xx: " + errors.group(1) : ""));
    }
  }

  private static String wrk(Path wrk, String url, int seconds, Path log) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                wrk.toString(),
                "-t" + THREADS,
                "-c" + CONNECTIONS,
                "-d" + seconds + "s",
                "--timeout",
                "5s",
                "--latency",
                url));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("wrk did not finish");
    }
    Files.writeString(log, String.join(" ", command) + "\n" + text, StandardCharsets.UTF_8);
    return text;
  }

  /** wrk prints {@code 812.00us}, {@code 1.25ms}, {@code 2.00s}. */
  static double millis(String text) {
    if (text.endsWith("us")) {
      return Double.parseDouble(text.substring(0, text.length() - 2)) / 1000;
    }
    if (text.endsWith("ms")) {
      return Double.parseDouble(text.substring(0, text.length() - 2));
    }
    if (text.endsWith("s")) {
      return Double.parseDouble(text.substring(0, text.length() - 1)) * 1000;
    }
    if (text.endsWith("m")) {
      return Double.parseDouble(text.substring(0, text.length() - 1)) * 60_000;
    }
    throw new IllegalArgumentException("cannot read wrk time '" + text + "'");
  }
}
