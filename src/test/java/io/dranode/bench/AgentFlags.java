package io.dranode.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's JVM flags: the image's {@code JAVA_OPTS}, read from the Dockerfile so the benchmark
 * never drifts from what ships; the container memory limit the JVM would see in the pod (emulated
 * with {@code -XX:MaxRAM}, since here it would size its heap from the whole machine); and the
 * system properties that point its fabric8 client at the in-memory API.
 */
final class AgentFlags {

  private static final Pattern JAVA_OPTS = Pattern.compile("ENV JAVA_OPTS=\"([^\"]*)\"");
  private static final Pattern ENV = Pattern.compile("(?m)^ENV ([A-Z_][A-Z0-9_]*)=(\\S+)$");

  /** A variant's JVM flag of this form sets an environment variable instead. */
  static final String ENV_FLAG = "env:";

  /** A variant's JVM flag of this form names the Dockerfile whose flags and environment it gets. */
  static final String DOCKERFILE_FLAG = "dockerfile:";

  /** The Dockerfile a variant takes its image flags and environment from. */
  static Path dockerfile(Variant variant) {
    return variant.flags().stream()
        .filter(f -> f.startsWith(DOCKERFILE_FLAG))
        .map(f -> Path.of(f.substring(DOCKERFILE_FLAG.length())))
        .reduce((first, second) -> second)
        .orElse(Path.of("Dockerfile"));
  }

  private AgentFlags() {}

  /** The Dockerfile's {@code JAVA_OPTS}, split. */
  static List<String> imageFlags(Path dockerfile) throws IOException {
    Matcher m = JAVA_OPTS.matcher(Files.readString(dockerfile, StandardCharsets.UTF_8));
    if (!m.find()) {
      throw new IllegalStateException("no ENV JAVA_OPTS=\"…\" in " + dockerfile);
    }
    return Arrays.stream(m.group(1).trim().split("\\s+", -1)).toList();
  }

  /**
   * The image's other environment variables ({@code ENV NAME=value} lines, e.g. the malloc arena
   * limit), then those a variant sets with {@code env:NAME=value}; every agent process gets them.
   */
  static Map<String, String> environment(Variant variant) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    Matcher m = ENV.matcher(Files.readString(dockerfile(variant), StandardCharsets.UTF_8));
    while (m.find()) {
      if (!m.group(1).equals("JAVA_OPTS")) {
        env.put(m.group(1), m.group(2).replace("\"", ""));
      }
    }
    for (String flag : variant.flags()) {
      if (flag.startsWith(ENV_FLAG)) {
        String[] pair = flag.substring(ENV_FLAG.length()).split("=", 2);
        env.put(pair[0], pair.length > 1 ? pair[1] : "");
      }
    }
    return env;
  }

  /** The image's flags plus the memory limit; what the results table states. */
  static List<String> runtimeFlags(BenchOptions options) throws IOException {
    return runtimeFlags(options, Path.of("Dockerfile"));
  }

  private static List<String> runtimeFlags(BenchOptions options, Path dockerfile)
      throws IOException {
    List<String> flags = new ArrayList<>(imageFlags(dockerfile));
    if (!options.maxRam().isEmpty()) {
      flags.add("-XX:MaxRAM=" + options.maxRam());
    }
    flags.addAll(options.agentFlags());
    return flags;
  }

  /** The same, then the variant's own flags. */
  static List<String> runtimeFlags(BenchOptions options, Variant variant) throws IOException {
    List<String> flags = runtimeFlags(options, dockerfile(variant));
    variant.flags().stream()
        .filter(f -> !f.startsWith(ENV_FLAG) && !f.startsWith(DOCKERFILE_FLAG))
        .forEach(flags::add);
    return flags;
  }

  /** Everything the agent process gets before {@code -jar}. */
  static List<String> forAgent(BenchOptions options, Variant variant, String apiUrl, Path jfrFile)
      throws IOException {
    List<String> flags = new ArrayList<>(runtimeFlags(options, variant));
    flags.addAll(kubernetes(apiUrl));
    if (options.jfr()) {
      flags.add("-XX:StartFlightRecording=filename=" + jfrFile + ",settings=profile");
    }
    return flags;
  }

  static List<String> kubernetes(String apiUrl) {
    return List.of(
        "-Dkubernetes.master=" + apiUrl,
        "-Dkubernetes.auth.tryKubeConfig=false",
        "-Dkubernetes.auth.tryServiceAccount=false",
        "-Dkubernetes.namespace=default");
  }
}
