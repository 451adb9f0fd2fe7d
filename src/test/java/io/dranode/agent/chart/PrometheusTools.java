package io.dranode.agent.chart;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Prometheus' own tools, from the PATH (Debian's {@code prometheus} package: {@code prometheus} and
 * {@code promtool}; {@code .ci/run} installs it). A test that needs them skips, saying so, where
 * they are absent.
 */
final class PrometheusTools {

  static final Duration RUN_LIMIT = Duration.ofSeconds(60);

  private PrometheusTools() {}

  /** A tool's path, or the test is skipped with the reason. */
  static Path require(String tool) {
    Optional<Path> found = find(tool);
    assumeTrue(
        found.isPresent(),
        tool
            + " is not on the PATH: install Prometheus (Debian: apt-get install prometheus) to run"
            + " the alerting tests; CI does");
    return found.orElseThrow();
  }

  static Optional<Path> find(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(java.io.File.pathSeparator, -1)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, tool);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** What a finished command said (stdout and stderr together) and its exit code. */
  record Result(int exitCode, String output) {}

  /** Runs promtool with the arguments, feeding it {@code stdin} if not null; bounded. */
  static Result promtool(Path workDir, @Nullable String stdin, String... args) {
    List<String> command = new ArrayList<>();
    command.add(require("promtool").toString());
    command.addAll(List.of(args));
    try {
      // Output to a file, so that the wait below is the only one and it is bounded.
      Path output = Files.createTempFile(workDir, "promtool", ".out");
      Process process =
          new ProcessBuilder(command)
              .directory(workDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      try (var in = process.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!process.waitFor(RUN_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("promtool " + String.join(" ", args) + " did not end");
      }
      return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * The rule file Prometheus loads: the rendered PrometheusRule's {@code spec} (its groups), as a
   * Prometheus rule file.
   */
  static Path writeRules(RenderedChart chart, Path dir) throws IOException {
    Object spec = RenderedChart.at(chart.one("PrometheusRule"), "spec");
    return writeYaml(dir.resolve("dra-node-agent.rules.yaml"), spec);
  }

  static Path writeYaml(Path file, Object content) throws IOException {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setWidth(200);
    Files.writeString(file, new Yaml(options).dump(content), StandardCharsets.UTF_8);
    return file;
  }
}
