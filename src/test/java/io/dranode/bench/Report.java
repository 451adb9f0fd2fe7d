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

  /** One benchmark's runs. */
  record Done(Benchmark benchmark, List<RunRecord> runs, List<String> loads, String error) {}

  private final List<Done> done = new ArrayList<>();
  private final String flags;

  Report(String flags) {
    this.flags = flags;
  }

  void add(Done result) {
    done.add(result);
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
    md.append("Agent JVM flags: `").append(flags).append("`\n\n");
    md.append("| measure | target | p50 / p99 / max (median of runs) | each run | met? |\n");
    md.append("|---|---|---|---|---|\n");
    for (Done d : done) {
      for (Measure m : d.benchmark().measures()) {
        List<Samples.Summary> runs = new ArrayList<>();
        for (RunRecord r : d.runs()) {
          Samples.Summary s = r.summaries.get(m.key());
          if (s != null) {
            runs.add(s);
          }
        }
        if (runs.isEmpty()) {
          md.append(row(m.title(), m.target(), "not measured: " + d.error(), "", "—"));
          continue;
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
        md.append(row(m.title(), m.target(), value, each + " (" + runs.size() + " runs)", met));
      }
    }
    md.append("\n### Details\n");
    for (Done d : done) {
      md.append("\n**").append(d.benchmark().id()).append("**");
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
