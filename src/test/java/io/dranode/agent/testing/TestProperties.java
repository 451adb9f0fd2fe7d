package io.dranode.agent.testing;

import io.dranode.agent.config.AgentProperties;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * {@link AgentProperties} bound from "name=value" pairs the way the application binds them, so that
 * tests get the same defaults as the agent (each is written once, in its {@code @DefaultValue}).
 */
public final class TestProperties {

  private TestProperties() {}

  /** Binds the pairs, e.g. {@code "dra.agent.wipe.delay=1s"}; the node is "worker" unless set. */
  public static AgentProperties of(String... pairs) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("dra.agent.node-name", "worker");
    for (String pair : pairs) {
      int equals = pair.indexOf('=');
      if (equals < 0) {
        throw new IllegalArgumentException("not name=value: " + pair);
      }
      values.put(pair.substring(0, equals), pair.substring(equals + 1));
    }
    return new Binder(new MapConfigurationPropertySource(values))
        .bindOrCreate("dra.agent", AgentProperties.class);
  }
}
