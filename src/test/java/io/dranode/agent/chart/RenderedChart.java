package io.dranode.agent.chart;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;

/**
 * The chart rendered by a real helm ({@code helm template}, through helm-java) and parsed into
 * plain maps and lists, with just enough navigation for assertions.
 */
final class RenderedChart {

  static final Path CHART = Path.of("charts", "dra-node-agent");
  static final String NAMESPACE = "dra-system";
  static final String RELEASE = "agent";

  /** A version the chart supports; without one helm assumes v1.20.0, below the chart's floor. */
  static final String KUBE_VERSION = "v1.34.0";

  private final String yaml;
  private final List<Map<String, Object>> documents;

  private RenderedChart(String yaml) {
    this.yaml = yaml;
    this.documents = parse(yaml);
  }

  /** Renders into {@link #NAMESPACE} with {@code --set key=value} for each pair given. */
  static RenderedChart render(String... keysAndValues) {
    return renderIn(NAMESPACE, keysAndValues);
  }

  static RenderedChart renderIn(String namespace, String... keysAndValues) {
    return new RenderedChart(template(namespace, keysAndValues).call());
  }

  /** {@code "a=1,b=2"} as {@code {"a", "1", "b", "2"}}; nothing for an empty string. */
  static String[] pairs(String valueSet) {
    if (valueSet.isBlank()) {
      return new String[0];
    }
    return Arrays.stream(valueSet.split(",", -1))
        .flatMap(keyValue -> Arrays.stream(keyValue.split("=", 2)))
        .map(String::trim)
        .toArray(String[]::new);
  }

  /** The {@code helm template} command, for tests that expect it to fail. */
  static TemplateCommand template(String namespace, String... keysAndValues) {
    assertThat(keysAndValues.length % 2).as("keys and values come in pairs").isZero();
    TemplateCommand command =
        new Helm(CHART)
            .template()
            .withName(RELEASE)
            .withNamespace(namespace)
            .withKubeVersion(KUBE_VERSION);
    for (int i = 0; i < keysAndValues.length; i += 2) {
      command = command.set(keysAndValues[i], keysAndValues[i + 1]);
    }
    return command;
  }

  String yaml() {
    return yaml;
  }

  List<Map<String, Object>> all(String kind) {
    return documents.stream().filter(d -> kind.equals(d.get("kind"))).toList();
  }

  boolean has(String kind) {
    return !all(kind).isEmpty();
  }

  /** The only object of this kind; fails the test unless there is exactly one. */
  Map<String, Object> one(String kind) {
    List<Map<String, Object>> found = all(kind);
    assertThat(found).as("rendered objects of kind %s", kind).hasSize(1);
    return found.get(0);
  }

  /** The only object of this kind and name; fails the test unless there is exactly one. */
  Map<String, Object> named(String kind, String name) {
    List<Map<String, Object>> found =
        all(kind).stream().filter(d -> name.equals(at(d, "metadata.name"))).toList();
    assertThat(found).as("rendered objects of kind %s named %s", kind, name).hasSize(1);
    return found.get(0);
  }

  /** The base of every resource name: the DaemonSet's name. */
  String fullname() {
    return (String) at(one("DaemonSet"), "metadata.name");
  }

  Map<String, Object> daemonSetPod() {
    return map(at(one("DaemonSet"), "spec.template.spec"));
  }

  Map<String, Object> agentContainer() {
    List<Object> containers = list(at(daemonSetPod(), "containers"));
    assertThat(containers).hasSize(1);
    return map(containers.get(0));
  }

  /** The agent container's environment variable of that name; fails the test if it is absent. */
  Map<String, Object> env(String name) {
    return list(at(agentContainer(), "env")).stream()
        .map(RenderedChart::map)
        .filter(e -> name.equals(e.get("name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no env " + name + " in " + agentContainer()));
  }

  /**
   * Follows a dotted path through maps; a numeric segment indexes a list. Fails the test when a
   * step is missing, so a typo in a test never passes as "null equals null".
   */
  static Object at(Object root, String path) {
    Object node = root;
    for (String step : path.split("\\.", -1)) {
      if (node instanceof List<?> items && step.chars().allMatch(Character::isDigit)) {
        node = items.get(Integer.parseInt(step));
      } else if (node instanceof Map<?, ?> fields && fields.containsKey(step)) {
        node = fields.get(step);
      } else {
        throw new AssertionError("no '" + step + "' on the way to '" + path + "' in " + root);
      }
    }
    return node;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object node) {
    assertThat(node).isInstanceOf(Map.class);
    return (Map<String, Object>) node;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object node) {
    assertThat(node).isInstanceOf(List.class);
    return (List<Object>) node;
  }

  private static List<Map<String, Object>> parse(String yaml) {
    List<Map<String, Object>> parsed = new ArrayList<>();
    for (Object document : new Yaml().loadAll(yaml)) {
      if (document != null) { // a template that rendered nothing but comments
        parsed.add(map(document));
      }
    }
    return parsed;
  }
}
