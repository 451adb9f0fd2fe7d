package io.dranode.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One agent under test: a jar, the JDK that runs it, JVM flags after the image's, and agent
 * arguments. A run of several variants measures them side by side, interleaved, so that each pair
 * sees the same load. In the arguments {@code {free}} stands for a free port and {@code {http}} for
 * the agent's HTTP port (e.g. {@code --management.server.port={free}} for a separate actuator
 * server).
 *
 * @param name shown in the results, beside each row
 * @param jar the packaged agent
 * @param javaHome the JDK (or JRE) that runs it
 * @param flags JVM flags after the image's (they win)
 * @param args agent arguments after the harness's
 */
record Variant(String name, Path jar, Path javaHome, List<String> flags, List<String> args) {

  private static final Pattern VERSION = Pattern.compile("JAVA_VERSION=\"(\\d+)");

  /** The single variant of a plain run: the options' jar on the harness's own JDK. */
  static Variant single(BenchOptions options) {
    return new Variant(
        "", options.jar(), Path.of(System.getProperty("java.home")), List.of(), List.of());
  }

  /**
   * Reads a variants file: one variant a line, {@code name | jar | java home | JVM flags | agent
   * arguments}, {@code -} for the default (the options' jar, the harness's JDK, nothing); lines
   * starting with {@code #} are comments.
   */
  static List<Variant> read(Path file, BenchOptions options) throws IOException {
    List<Variant> variants = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank() || line.strip().startsWith("#")) {
        continue;
      }
      String[] cells = line.split("\\|", -1);
      if (cells.length != 5) {
        throw new IllegalArgumentException(
            "a variant is 'name | jar | java home | JVM flags | agent arguments': " + line);
      }
      Variant defaults = single(options);
      variants.add(
          new Variant(
              cells[0].strip(),
              dash(cells[1]) ? defaults.jar() : Path.of(cells[1].strip()).toAbsolutePath(),
              dash(cells[2]) ? defaults.javaHome() : Path.of(cells[2].strip()),
              words(cells[3]),
              words(cells[4])));
    }
    if (variants.isEmpty()) {
      throw new IllegalArgumentException("no variant in " + file);
    }
    return variants;
  }

  Path java() {
    return javaHome.resolve("bin").resolve("java");
  }

  Path jcmd() {
    return javaHome.resolve("bin").resolve("jcmd");
  }

  /** The feature version of its JDK, from {@code release} (17 when unknown). */
  int javaVersion() {
    try {
      Matcher m = VERSION.matcher(Files.readString(javaHome.resolve("release")));
      return m.find() ? Integer.parseInt(m.group(1)) : 17;
    } catch (IOException e) {
      return 17;
    }
  }

  /** A row's title with this variant's name, when it has one. */
  String label(String title) {
    return name.isEmpty() ? title : title + " [" + name + "]";
  }

  private static boolean dash(String cell) {
    return cell.strip().equals("-") || cell.isBlank();
  }

  private static List<String> words(String cell) {
    return dash(cell)
        ? List.of()
        : Arrays.stream(cell.strip().split("\\s+", -1)).filter(w -> !w.isEmpty()).toList();
  }
}
