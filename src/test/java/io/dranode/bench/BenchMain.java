package io.dranode.bench;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the selected benchmarks ({@code -Dbench.only}, default all) against the packaged agent, each
 * {@code -Dbench.runs} times on a fresh agent process, and writes {@code target/bench/results.md}.
 * With {@code -Dbench.variants=<file>} it measures several agents side by side: each run of a
 * benchmark goes through every variant, in turn, in an order that alternates from run to run. A
 * benchmark that fails is reported as not measured; the others still run.
 */
public final class BenchMain {

  /** Held so that the level set on it is not lost to garbage collection. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private BenchMain() {}

  static List<Benchmark> all() {
    return List.of(
        new RegistrationLatency(),
        new DeregistrationLatency(),
        new CrashDetection(),
        new WipeLateness(),
        new BulkWipe(),
        new Churn(),
        new ListThroughput(),
        new StartupFootprint(),
        new SteadyState());
  }

  public static void main(String[] args) throws Exception {
    BenchOptions options = BenchOptions.fromSystemProperties();
    quietLogs();
    List<Variant> variants =
        options.variants().isEmpty()
            ? List.of(Variant.single(options))
            : Variant.read(Path.of(options.variants()), options);
    for (Variant variant : variants) {
      if (!Files.isRegularFile(variant.jar())) {
        throw new IllegalStateException("no agent jar at " + variant.jar() + ": package it first");
      }
    }
    Files.createDirectories(options.out().resolve("logs"));
    if (options.jfr()) {
      Files.createDirectories(options.out().resolve("jfr"));
    }
    String flags = String.join(" ", AgentFlags.runtimeFlags(options));
    System.out.println("Agent JVM flags: " + flags);
    Report report = new Report(flags, variants);
    EventLoopGroup loops =
        new MultiThreadIoEventLoopGroup(
            2, new DefaultThreadFactory("bench-plugins", true), EpollIoHandler.newFactory());
    try {
      BenchContext context = new BenchContext(options, options.out(), loops, variants.get(0));
      for (Benchmark benchmark : all()) {
        if (options.only().contains(benchmark.id())) {
          report.addAll(run(benchmark, context, variants));
          report.write(options.out().resolve("results.md"));
        }
      }
    } finally {
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
    Path results = options.out().resolve("results.md");
    report.write(results);
    System.out.println();
    System.out.println(report.markdown());
    System.out.println("Written to " + results);
    System.exit(0); // the mock server's and HTTP clients' threads must not keep the harness alive
  }

  /** Keeps the harness's output to results: no per-request or per-connection log lines. */
  private static void quietLogs() {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.netty.bootstrap"))
        .setLevel(ch.qos.logback.classic.Level.ERROR);
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.dranode.example"))
        .setLevel(ch.qos.logback.classic.Level.WARN);
  }

  private static List<Report.Done> run(
      Benchmark benchmark, BenchContext context, List<Variant> variants) {
    List<List<RunRecord>> runs = new ArrayList<>();
    List<List<String>> loads = new ArrayList<>();
    String[] errors = new String[variants.size()];
    for (int v = 0; v < variants.size(); v++) {
      runs.add(new ArrayList<>());
      loads.add(new ArrayList<>());
      errors[v] = "";
    }
    int count = benchmark.runs(context.options());
    for (int i = 1; i <= count; i++) {
      List<Integer> order = new ArrayList<>();
      for (int v = 0; v < variants.size(); v++) {
        order.add(v);
      }
      if (i % 2 == 0) {
        Collections.reverse(order); // A B, B A, …: neither side always runs first
      }
      for (int v : order) {
        Variant variant = variants.get(v);
        String load = Machine.load();
        System.out.printf(
            "== %s, run %d of %d%s (load %s)%n",
            benchmark.id(), i, count, variant.name().isEmpty() ? "" : ", " + variant.name(), load);
        RunRecord record = new RunRecord(i);
        try {
          benchmark.run(context.with(variant), record);
          runs.get(v).add(record);
          loads.get(v).add(load);
        } catch (Exception | AssertionError e) {
          errors[v] = "run " + i + " failed: " + e;
          System.out.println("   " + errors[v]);
          e.printStackTrace(System.out);
        }
      }
    }
    List<Report.Done> done = new ArrayList<>();
    for (int v = 0; v < variants.size(); v++) {
      done.add(new Report.Done(benchmark, variants.get(v), runs.get(v), loads.get(v), errors[v]));
    }
    return done;
  }
}
