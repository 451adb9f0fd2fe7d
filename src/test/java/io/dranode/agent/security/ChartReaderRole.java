package io.dranode.agent.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The non-resource paths the Helm chart's {@code <fullname>-reader} ClusterRole grants, read from
 * its template, so that tests of the agent grant a reader exactly what the chart does. The list is
 * literal YAML in the template (no template logic inside it); ChartTestAuth checks the rendered
 * role holds one rule with verb {@code get} only.
 */
public final class ChartReaderRole {

  static final Path TEMPLATE =
      Path.of("charts", "dra-node-agent", "templates", "clusterrole-reader.yaml");

  private ChartReaderRole() {}

  public static List<String> paths() {
    List<String> lines;
    try {
      lines = Files.readAllLines(TEMPLATE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> paths = new ArrayList<>();
    boolean inList = false;
    for (String line : lines) {
      String text = line.strip();
      if (text.equals("- nonResourceURLs:")) {
        inList = true;
      } else if (inList && text.startsWith("- /")) {
        paths.add(text.substring(2));
      } else if (inList && !text.startsWith("#")) {
        break; // the list ends at the rule's verbs
      }
    }
    if (paths.isEmpty()) {
      throw new IllegalStateException("no nonResourceURLs found in " + TEMPLATE);
    }
    return List.copyOf(paths);
  }
}
