package io.dranode.agent.config;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.boot.origin.Origin;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Stops start-up when a property under {@code dra.agent} is none of {@link AgentProperties}': a
 * misspelt {@code --dra.agent.mdoe=observer} or {@code DRA_AGENT_WIPE_DELY=45s} would otherwise
 * start the agent with the default silently, which on a DaemonSet can mean a registrar beside a
 * kubelet. Names are compared the way Spring binds them (case and dashes do not count, and an
 * environment variable's underscores may stand for dots or dashes), so every form that binds
 * passes. Runs once the configuration files are loaded.
 */
public final class UnknownPropertiesCheck implements EnvironmentPostProcessor, Ordered {

  static final String PREFIX = "dra.agent";

  /** Every known name, in uniform form (see {@link #uniform}) → its documented form. */
  private static final Map<String, String> KNOWN = known();

  /** The same, flattened (see {@link #flat}), for environment variables. */
  private static final Map<String, String> KNOWN_FLAT = flattened();

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    List<String> problems = new ArrayList<>();
    ConfigurationPropertyName prefix = ConfigurationPropertyName.of(PREFIX);
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
      if (!(source instanceof IterableConfigurationPropertySource iterable)) {
        continue;
      }
      boolean environmentVariables =
          source.getUnderlyingSource() instanceof SystemEnvironmentPropertySource;
      iterable.stream()
          .filter(prefix::isAncestorOf)
          .filter(
              name ->
                  environmentVariables
                      ? !KNOWN_FLAT.containsKey(flat(name))
                      : !KNOWN.containsKey(uniform(name)))
          .forEach(name -> problems.add(describe(name, source.getConfigurationProperty(name))));
    }
    if (!problems.isEmpty()) {
      throw new UnknownPropertyException(problems);
    }
  }

  /** After the configuration files and the command line are in the environment. */
  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE;
  }

  private static String describe(
      ConfigurationPropertyName name, @Nullable ConfigurationProperty p) {
    StringBuilder text = new StringBuilder("'").append(name).append('\'');
    Origin origin = p == null ? null : p.getOrigin();
    if (origin != null) {
      text.append(" (from ").append(origin).append(')');
    }
    String nearest = nearest(name.toString());
    if (nearest != null) {
      text.append("; did you mean '").append(nearest).append("'?");
    }
    return text.toString();
  }

  /** The known name closest to the given one, if one is close enough to be a likely typo. */
  static @Nullable String nearest(String name) {
    String given = name.toLowerCase(Locale.ROOT).replaceAll("\\[[^]]*]", "");
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String known : KNOWN.values()) {
      int distance = distance(given, known);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = known;
      }
    }
    int tolerated = Math.max(2, given.length() / 6);
    return bestDistance <= tolerated ? best : null;
  }

  /** The name without indices, each element lower-cased and without dashes, joined by dots. */
  private static String uniform(ConfigurationPropertyName name) {
    ConfigurationPropertyName base = name;
    while (base.isLastElementIndexed()) {
      base = base.getParent();
    }
    StringBuilder uniform = new StringBuilder();
    for (int i = 0; i < base.getNumberOfElements(); i++) {
      uniform.append(i == 0 ? "" : ".");
      uniform.append(base.getElement(i, ConfigurationPropertyName.Form.UNIFORM));
    }
    return uniform.toString();
  }

  /** The uniform name without any separator: what an environment variable can still tell. */
  private static String flat(ConfigurationPropertyName name) {
    return uniform(name).replace(".", "").replace("_", "");
  }

  private static Map<String, String> flattened() {
    Map<String, String> names = new TreeMap<>();
    KNOWN.forEach((uniform, documented) -> names.put(uniform.replace(".", ""), documented));
    return names;
  }

  private static Map<String, String> known() {
    Map<String, String> names = new TreeMap<>();
    collect(PREFIX, AgentProperties.class, names);
    return names;
  }

  /** Every leaf of the properties' records, under their dashed names. */
  private static void collect(String path, Class<?> type, Map<String, String> into) {
    RecordComponent[] components = type.getRecordComponents();
    if (components == null) {
      into.put(uniform(ConfigurationPropertyName.of(path)), path);
      return;
    }
    for (RecordComponent component : components) {
      String child = path + "." + dashed(component.getName());
      Class<?> leaf = component.getType();
      if (Collection.class.isAssignableFrom(leaf)) {
        Type generic = component.getGenericType();
        leaf =
            generic instanceof ParameterizedType p
                    && p.getActualTypeArguments()[0] instanceof Class<?> c
                ? c
                : Object.class;
      }
      if (leaf.isRecord()) {
        collect(child, leaf, into);
      } else {
        into.put(uniform(ConfigurationPropertyName.of(child)), child);
      }
    }
  }

  private static String dashed(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  /** Levenshtein distance. */
  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] = Math.min(Math.min(current[j - 1], previous[j]) + 1, previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  /** Start-up stops with this; {@link UnknownPropertyFailureAnalyzer} says what to change. */
  static final class UnknownPropertyException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    UnknownPropertyException(List<String> problems) {
      super("Unknown dra.agent properties: " + String.join(", ", problems));
      this.problems = List.copyOf(problems);
    }

    List<String> problems() {
      return problems;
    }
  }
}
