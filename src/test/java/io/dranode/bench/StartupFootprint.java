package io.dranode.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * 8. Start → ready, and resident memory and threads when idle with 10 drivers, in up to three
 * launch shapes ({@code -Dbench.shapes}): the executable jar as built; the jar extracted ({@code
 * -Djarmode=tools extract}); and the image's layout, the extracted jar with the archive the
 * Dockerfile's training run records: an AppCDS archive on JDK 17 ({@code
 * -XX:ArchiveClassesAtExit}), the AOT cache on JDK 25 and later ({@code -XX:AOTCacheOutput}), both
 * trained with {@code -Dspring.context.exit=onRefresh}. Start → ready is timed from the process
 * start to the first UP of the readiness probe (polled every 10 ms). RSS and threads are read after
 * the drivers are connected and {@value #IDLE_SECONDS} s passed. Also counted, once per agent: the
 * classes loaded by the end of the context refresh ({@code -Xlog:class+load}, the training run's
 * end point).
 */
final class StartupFootprint implements Benchmark {

  static final int DRIVERS = 10;
  static final int IDLE_SECONDS = 20;
  static final Duration BOUND = Duration.ofSeconds(10);

  @Override
  public String id() {
    return "startup";
  }

  @Override
  public List<Measure> measures() {
    List<Measure> rows = new ArrayList<>();
    for (String shape : BenchOptions.SHAPES) {
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
          Measure.of(
              "threads." + shape,
              "8. threads idle with 10 drivers, " + label,
              "≤ 30",
              "threads",
              s -> s.p50() <= 30));
      rows.add(
          Measure.info(
              "spring." + shape, "8. … Spring's \"Started … in\" (context only), " + label, "ms"));
    }
    rows.add(
        Measure.of(
            "classes",
            "8. classes loaded by the end of the context refresh",
            "≤ 6,500",
            "classes",
            s -> s.p50() <= 6500));
    return rows;
  }

  private static String label(String shape) {
    return switch (shape) {
      case "jar" -> "java -jar (no archive)";
      case "extracted" -> "extracted jar (no archive)";
      default -> "image layout (extracted jar + AppCDS on 17, AOT cache on 25)";
    };
  }

  /** Per variant: its extracted jar, archive and class count, made once from its jar. */
  private record Prepared(Path extracted, Path archive, List<String> runFlags, int classes) {}

  private final Map<String, Prepared> prepared = new HashMap<>();

  @Override
  public void run(BenchContext context, RunRecord out) throws Exception {
    Variant variant = context.variant();
    Prepared ready = prepared.get(variant.name());
    if (ready == null) {
      ready = prepare(context);
      prepared.put(variant.name(), ready);
    }
    out.put("classes", Samples.Summary.of(ready.classes()));
    for (String shape : context.options().shapes()) {
      Path jar = shape.equals("jar") ? variant.jar() : ready.extracted();
      List<String> flags = shape.equals("image") ? ready.runFlags() : List.of();
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
        String threads = agent.threadNames();
        double[] spring = agent.startedLine();
        out.put("ready." + shape, Samples.Summary.of(agent.startToReadyMillis()));
        out.put("rss." + shape, Samples.Summary.of(idle.rssMb()));
        out.put("threads." + shape, Samples.Summary.of(idle.threads()));
        out.put("spring." + shape, Samples.Summary.of(spring[0]));
        out.note(
            String.format(
                Locale.ROOT,
                "%s: start→ready %.0f ms (Spring: started in %.0f ms, JVM running %.0f ms); idle"
                    + " with %d drivers: %s; threads: %s",
                shape,
                agent.startToReadyMillis(),
                spring[0],
                spring[1],
                DRIVERS,
                idle,
                threads));
      }
    }
  }

  /** The image's layout and archive, made anew from this variant's jar. */
  private static Prepared prepare(BenchContext context) throws Exception {
    Variant variant = context.variant();
    Path folder =
        context
            .out()
            .resolve("startup")
            .resolve(variant.name().isEmpty() ? "agent" : variant.name());
    // A CDS archive or AOT cache silently stops working for another jar: never reuse one.
    deleteTree(folder);
    Files.createDirectories(folder);
    Path extractedFolder = folder.resolve("extracted");
    Path extracted = extractedFolder.resolve("app.jar");
    Path logs = context.out().resolve("logs");
    java(
        variant,
        List.of(
            "-Djarmode=tools",
            "-jar",
            variant.jar().toString(),
            "extract",
            "--destination",
            extractedFolder.toString(),
            "--application-filename",
            "app.jar"),
        logs.resolve(context.label("extract") + ".log"));

    Path classLog = folder.resolve("classes.log");
    refresh(context, extracted, List.of("-Xlog:class+load=info:file=" + classLog), "classes");
    int classes;
    try (Stream<String> lines = Files.lines(classLog, StandardCharsets.UTF_8)) {
      classes = (int) lines.filter(l -> l.contains(" source: ")).count();
    }

    boolean aot = variant.javaVersion() >= 25;
    Path archive = folder.resolve(aot ? "app.aot" : "app.jsa");
    refresh(
        context,
        extracted,
        aot
            ? List.of("-XX:AOTCacheOutput=" + archive)
            : List.of("-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds=error"),
        "training");
    if (!Files.exists(archive)) {
      throw new IllegalStateException("the training run made no archive: " + archive);
    }
    List<String> runFlags =
        aot ? List.of("-XX:AOTCache=" + archive) : List.of("-XX:SharedArchiveFile=" + archive);
    return new Prepared(extracted, archive, runFlags, classes);
  }

  /** The Dockerfile's training run: the image's flags, the context refreshed, then exit. */
  private static void refresh(BenchContext context, Path app, List<String> extra, String name)
      throws Exception {
    Path root = Files.createTempDirectory(Path.of("/tmp"), "drac");
    try {
      List<String> command =
          new ArrayList<>(AgentFlags.runtimeFlags(context.options(), context.variant()));
      command.addAll(extra);
      command.addAll(
          List.of(
              "-Dspring.context.exit=onRefresh",
              "-jar",
              app.toString(),
              "--dra.agent.node-name=cds-training",
              "--dra.agent.kubelet-root-dir=" + root));
      command.addAll(trainingArgs(context.variant()));
      java(
          context.variant(),
          command,
          context.out().resolve("logs").resolve(context.label(name) + ".log"));
    } finally {
      deleteTree(root);
    }
  }

  /** The variant's arguments, without ports that would clash with another agent. */
  private static List<String> trainingArgs(Variant variant) {
    return variant.args().stream().filter(a -> !a.contains("{")).toList();
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

  private static void java(Variant variant, List<String> args, Path log) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(variant.java().toString());
    command.addAll(args);
    Files.createDirectories(log.getParent());
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    builder.environment().putAll(AgentFlags.environment(variant));
    Process p = builder.start();
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
