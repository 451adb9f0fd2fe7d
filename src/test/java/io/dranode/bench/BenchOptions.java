package io.dranode.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What to run, read from system properties that the Maven profile {@code bench} passes on.
 *
 * @param jar the packaged agent
 * @param out where results, agent logs and profiles go
 * @param only benchmark ids to run ({@code all} for every one)
 * @param runs runs per benchmark; the table shows the median of them
 * @param idle the steady-state window (the issue asks for 10 minutes)
 * @param jfr record a JFR profile of every agent process
 * @param maxRam the memory the agent's JVM sizes itself from (the container limit), or empty
 * @param agentFlags more JVM flags for the agent, after the image's (for experiments; they win)
 * @param variants a file of agents to measure side by side ({@link Variant#read}), or empty
 * @param shapes how benchmark 8 launches the agent: {@code jar}, {@code extracted}, {@code image}
 */
record BenchOptions(
    Path jar,
    Path out,
    List<String> only,
    int runs,
    Duration idle,
    boolean jfr,
    String maxRam,
    List<String> agentFlags,
    String variants,
    List<String> shapes) {

  static final List<String> ALL =
      List.of(
          "register",
          "deregister",
          "crash",
          "lateness",
          "bulk",
          "churn",
          "list",
          "startup",
          "idle");

  static BenchOptions fromSystemProperties() {
    String only = System.getProperty("bench.only", "all").trim().toLowerCase(Locale.ROOT);
    List<String> selected =
        only.equals("all") || only.isEmpty()
            ? ALL
            : Arrays.stream(only.split(",", -1)).map(String::trim).toList();
    for (String id : selected) {
      if (!ALL.contains(id)) {
        throw new IllegalArgumentException("unknown benchmark '" + id + "'; known: " + ALL);
      }
    }
    int runs = Integer.parseInt(System.getProperty("bench.runs", "3"));
    if (runs < 1) {
      throw new IllegalArgumentException("bench.runs must be at least 1");
    }
    return new BenchOptions(
        Path.of(System.getProperty("bench.jar", "target/dra-node-agent-0.1.0-SNAPSHOT.jar"))
            .toAbsolutePath(),
        Path.of(System.getProperty("bench.out", "target/bench")).toAbsolutePath(),
        selected,
        runs,
        parseDuration(System.getProperty("bench.idle", "10m")),
        Boolean.parseBoolean(System.getProperty("bench.jfr", "false")),
        System.getProperty("bench.maxRam", "256m").trim(),
        Arrays.stream(System.getProperty("bench.agentFlags", "").trim().split("\\s+", -1))
            .filter(f -> !f.isEmpty())
            .toList(),
        System.getProperty("bench.variants", "").trim(),
        shapes(System.getProperty("bench.shapes", "jar,extracted,image")));
  }

  static final List<String> SHAPES = List.of("jar", "extracted", "image");

  private static List<String> shapes(String text) {
    List<String> shapes =
        Arrays.stream(text.split(",", -1)).map(String::trim).filter(s -> !s.isEmpty()).toList();
    for (String shape : shapes) {
      if (!SHAPES.contains(shape)) {
        throw new IllegalArgumentException("unknown shape '" + shape + "'; known: " + SHAPES);
      }
    }
    return shapes;
  }

  /** {@code 90s}, {@code 2m}, {@code 1h} or an ISO-8601 duration. */
  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.startsWith("p")) {
      return Duration.parse(t.toUpperCase(Locale.ROOT));
    }
    long amount = Long.parseLong(t.substring(0, t.length() - 1));
    return switch (t.charAt(t.length() - 1)) {
      case 's' -> Duration.ofSeconds(amount);
      case 'm' -> Duration.ofMinutes(amount);
      case 'h' -> Duration.ofHours(amount);
      default -> throw new IllegalArgumentException("cannot read duration '" + text + "'");
    };
  }
}
