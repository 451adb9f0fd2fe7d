package io.dranode.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Collects the runs and writes the results as Markdown (the table docs/BENCHMARKS.md shows). */
final class Report {

  /** One benchmark's runs of one variant. */
  record Done(
      Benchmark benchmark,
      Variant variant,
      List<RunRecord> runs,
      List<String> loads,
      String error) {}

  private final List<Done> done = new ArrayList<>();
  private final String flags;
  private final List<Variant> variants;

  Report(String flags, List<Variant> variants) {
    this.flags = flags;
    this.variants = variants;
  }

  void addAll(List<Done> results) {
    done.addAll(results);
  }

  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("Date: ")
        .append(
            ZonedDateTime.now(java.time.ZoneId.systemDefault())
                .format(DateTimeFormatter.RFC_1123_DATE_TIME))
        .append("  \n");
    md.append("Machine: ")
        .append(Machine.cores())
        .append(" cores (")
        .append(Machine.cpuModel())
        .append("), memory ")
        .append(Machine.memory())
        .append("  \n");
    md.append("JDK: ").append(Machine.jdk()).append("  \n");
    md.append("Agent JVM flags: `").append(flags).append("`\n");
    for (Variant v : variants) {
      if (!v.name().isEmpty()) {
        md.append("- variant `")
            .append(v.name())
            .append("`: ")
            .append(v.jar())
            .append(" on ")
            .append(v.javaHome())
            .append(v.flags().isEmpty() ? "" : ", flags `" + String.join(" ", v.flags()) + "`")
            .append(v.args().isEmpty() ? "" : ", args `" + String.join(" ", v.args()) + "`")
            .append('\n');
      }
    }
    md.append('\n');
    md.append("| measure | target | p50 / p99 / max (median of runs) | each run | met? |\n");
    md.append("|---|---|---|---|---|\n");
    List<Benchmark> benchmarks = done.stream().map(Done::benchmark).distinct().toList();
    for (Benchmark benchmark : benchmarks) {
      List<Done> ofIt = done.stream().filter(d -> d.benchmark() == benchmark).toList();
      java.util.Set<String> reported = new java.util.HashSet<>();
      ofIt.forEach(d -> d.runs().forEach(r -> reported.addAll(r.summaries.keySet())));
      for (Measure m : benchmark.measures()) {
        // a row nobody reported (e.g. a launch shape not selected) is left out, unless nothing was
        if (reported.isEmpty() || reported.contains(m.key())) {
          ofIt.forEach(d -> row(md, d, m));
        }
      }
    }
    md.append("\n### Details\n");
    for (Done d : done) {
      md.append("\n**").append(d.variant().label(d.benchmark().id())).append("**");
      if (!d.error().isEmpty()) {
        md.append(" — ").append(d.error());
      }
      md.append("\n\n");
      for (int i = 0; i < d.runs().size(); i++) {
        RunRecord r = d.runs().get(i);
        md.append("- run ")
            .append(r.run)
            .append(" (load before: ")
            .append(d.loads().get(i))
            .append("): ")
            .append(String.join("; ", r.notes))
            .append('\n');
      }
    }
    return md.toString();
  }

  /** One measure of one variant; nothing when the benchmark did not report it (a shape not run). */
  private static void row(StringBuilder md, Done d, Measure m) {
    String title = d.variant().label(m.title());
    List<Samples.Summary> runs = new ArrayList<>();
    for (RunRecord r : d.runs()) {
      Samples.Summary s = r.summaries.get(m.key());
      if (s != null) {
        runs.add(s);
      }
    }
    if (runs.isEmpty()) {
      if (!d.error().isEmpty()) {
        md.append(row(title, m.target(), "not measured: " + d.error(), "", "—"));
      }
      return;
    }
    Samples.Summary median = Samples.medianOf(runs);
    boolean single = runs.stream().allMatch(Samples.Summary::single);
    String value =
        single
            ? number(median.p50()) + " " + m.unit()
            : number(median.p50())
                + " / "
                + number(median.p99())
                + " / "
                + number(median.max())
                + " "
                + m.unit();
    String each =
        runs.stream()
            .map(s -> single ? number(s.p50()) : "p99 " + number(s.p99()))
            .collect(Collectors.joining(", "));
    String met = m.met() == null ? "—" : m.met().test(median) ? "yes" : "**no**";
    md.append(row(title, m.target(), value, each + " (" + runs.size() + " runs)", met));
  }

  void write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, markdown(), StandardCharsets.UTF_8);
  }

  private static String row(String... cells) {
    return "| " + String.join(" | ", cells) + " |\n";
  }

  private static String number(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    if (a >= 100 || v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return String.format(Locale.ROOT, a >= 10 ? "%.1f" : "%.2f", v);
  }
}
