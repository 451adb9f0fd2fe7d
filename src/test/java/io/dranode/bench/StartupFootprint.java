package io.dranode.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * 8. Start → ready, and resident memory when idle with 10 drivers, in three launch shapes: the
 * executable jar as built; the jar extracted ({@code -Djarmode=tools extract}, the image's layout);
 * and the extracted jar with an AppCDS archive recorded by a training run, exactly as the
 * Dockerfile makes it ({@code -XX:ArchiveClassesAtExit}, {@code -Dspring.context.exit=onRefresh}).
 * Start → ready is timed from the process start to the first UP of the readiness probe (polled
 * every 10 ms). RSS is read after the drivers are connected and {@value #IDLE_SECONDS} s passed.
 */
final class StartupFootprint implements Benchmark {

  static final int DRIVERS = 10;
  static final int IDLE_SECONDS = 20;
  static final Duration BOUND = Duration.ofSeconds(10);
  static final List<String> SHAPES = List.of("jar", "extracted", "cds");

  @Override
  public String id() {
    return "startup";
  }

  @Override
  public List<Measure> measures() {
    List<Measure> rows = new ArrayList<>();
    for (String shape : SHAPES) {
      String label = label(shape);
      rows.add(
          Measure.of(
              "ready." + shape, "8. start → ready, " + label, "≤ 2 s", "ms", s -> s.p50() <= 2000));
      rows.add(
          Measure.of(
              "rss." + shape,
              "8. RSS idle with 10 drivers, " + label,
              "≤ 128 MB",
              "MB",
              s -> s.p50() <= 128));
      rows.add(
          Measure.info(
              "spring." + shape, "8. … Spring's \"Started … in\" (context only), " + label, "ms"));
    }
    return rows;
  }

  private static String label(String shape) {
    return switch (shape) {
      case "jar" -> "java -jar (no CDS)";
      case "extracted" -> "extracted jar (no CDS)";
      default -> "extracted jar + AppCDS";
    };
  }

  private boolean prepared;

  @Override
  public void run(BenchContext context, RunRecord out) throws Exception {
    Path extracted = context.out().resolve("extracted").resolve("app.jar");
    Path archive = context.out().resolve("cds").resolve("app.jsa");
    if (!prepared) {
      // Made anew from this build's jar: a CDS archive silently stops working for another jar.
      deleteTree(context.out().resolve("extracted"));
      deleteTree(context.out().resolve("cds"));
      extract(context);
      train(context, extracted, archive);
      prepared = true;
    }
    for (String shape : SHAPES) {
      Path jar = shape.equals("jar") ? context.options().jar() : extracted;
      List<String> flags =
          shape.equals("cds") ? List.of("-XX:SharedArchiveFile=" + archive) : List.of();
      try (BenchRun env = new BenchRun()) {
        AgentProcess agent =
            env.startAgent(context, "startup-" + shape + "-" + out.run, jar, flags);
        for (int i = 0; i < DRIVERS; i++) {
          BenchPlugin plugin =
              env.own(
                  new BenchPlugin(
                          String.format(Locale.ROOT, "s%02d.bench.example", i), env.kubeletRoot)
                      .start(context.pluginLoops()));
          long created = plugin.appear();
          plugin.awaitRegistered(created, BOUND);
          env.events().await("connected", plugin.driver(), created, BOUND);
        }
        TimeUnit.SECONDS.sleep(IDLE_SECONDS); // the idle window being measured, not a wait
        AgentProcess.ProcessStats idle = agent.stats();
        double[] spring = agent.startedLine();
        out.put("ready." + shape, Samples.Summary.of(agent.startToReadyMillis()));
        out.put("rss." + shape, Samples.Summary.of(idle.rssMb()));
        out.put("spring." + shape, Samples.Summary.of(spring[0]));
        out.note(
            String.format(
                Locale.ROOT,
                "%s: start→ready %.0f ms (Spring: started in %.0f ms, JVM running %.0f ms); idle"
                    + " with %d drivers: %s",
                label(shape),
                agent.startToReadyMillis(),
                spring[0],
                spring[1],
                DRIVERS,
                idle));
      }
    }
  }

  /** The image's layout: {@code app.jar} plus {@code lib/}, as the Dockerfile extracts it. */
  private static void extract(BenchContext context) throws Exception {
    Path folder = context.out().resolve("extracted");
    java(
        List.of(
            "-Djarmode=tools",
            "-jar",
            context.options().jar().toString(),
            "extract",
            "--destination",
            folder.toString(),
            "--application-filename",
            "app.jar"),
        context.out().resolve("logs").resolve("extract.log"));
  }

  /** The Dockerfile's training run, with the same runtime flags. */
  private static void train(BenchContext context, Path app, Path archive) throws Exception {
    Files.createDirectories(context.out().resolve("cds"));
    Path root = Files.createTempDirectory(Path.of("/tmp"), "drac");
    try {
      List<String> command = new ArrayList<>(AgentFlags.runtimeFlags(context.options()));
      command.addAll(
          List.of(
              "-XX:ArchiveClassesAtExit=" + archive,
              "-Xlog:cds=error",
              "-Dspring.context.exit=onRefresh",
              "-jar",
              app.toString(),
              "--dra.agent.node-name=cds-training",
              "--dra.agent.kubelet-root-dir=" + root));
      java(command, context.out().resolve("logs").resolve("cds-training.log"));
    } finally {
      deleteTree(root);
    }
    if (!Files.exists(archive)) {
      throw new IllegalStateException("the CDS training run made no archive");
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> tree = Files.walk(root)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void java(List<String> args, Path log) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(args);
    Files.createDirectories(log.getParent());
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
            .start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("timed out: " + command);
    }
    if (p.exitValue() != 0) {
      throw new IOException(
          "failed ("
              + p.exitValue()
              + "): "
              + command
              + "\n"
              + Files.readString(log, StandardCharsets.UTF_8));
    }
  }
}
