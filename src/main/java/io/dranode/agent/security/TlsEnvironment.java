package io.dranode.agent.security;

import io.dranode.agent.config.AgentProperties.SecurityMode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementPortType;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * In {@code kubernetes} mode, TLS on every port with the bundle {@value #BUNDLE} ({@link
 * AgentCertificates}): the HTTP server, a separate management server if {@code
 * management.server.port} makes one, and the gRPC server. These settings come first, over any
 * {@code server.ssl.*}, {@code management.server.ssl.*} or {@code spring.grpc.server.ssl.*} given,
 * so that plain text cannot be switched back on by mistake.
 */
public final class TlsEnvironment implements EnvironmentPostProcessor, Ordered {

  /** The name of the agent's SSL bundle. */
  public static final String BUNDLE = "dra-agent";

  static final String SOURCE = "dra-agent-tls";

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    if (!kubernetesMode(environment)) {
      return;
    }
    Map<String, Object> tls = new LinkedHashMap<>();
    tls.put("server.ssl.enabled", "true");
    tls.put("server.ssl.bundle", BUNDLE);
    tls.put("spring.grpc.server.ssl.enabled", "true");
    tls.put("spring.grpc.server.ssl.bundle", BUNDLE);
    // Spring Boot refuses management.server.ssl.* unless the management server has its own port.
    if (ManagementPortType.get(environment) == ManagementPortType.DIFFERENT) {
      tls.put("management.server.ssl.enabled", "true");
      tls.put("management.server.ssl.bundle", BUNDLE);
    }
    environment.getPropertySources().addFirst(new MapPropertySource(SOURCE, tls));
  }

  static boolean kubernetesMode(ConfigurableEnvironment environment) {
    try {
      return Binder.get(environment)
          .bind("dra.agent.security.mode", SecurityMode.class)
          .map(SecurityMode.KUBERNETES::equals)
          .orElse(false);
    } catch (BindException e) {
      return false; // binding AgentProperties reports the bad value, naming the property
    }
  }

  /** After the configuration files and the command line are in the environment. */
  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE;
  }
}
