package io.dranode.agent.security;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * When {@code management.server.port} gives the actuator a server of its own, the same bearer-token
 * filter guards it (the probes stay open there too), and {@link TlsEnvironment} gives it TLS.
 * Spring Boot builds that server's context from {@code
 * META-INF/spring/...ManagementContextConfiguration.imports}; the application's component scan
 * finds this class too, where it must add nothing (the filter is registered there already).
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "dra.agent.security", name = "mode", havingValue = "kubernetes")
@Conditional(ManagementPortSecurity.InChildContext.class)
class ManagementPortSecurity {

  @Bean
  FilterRegistrationBean<BearerTokenFilter> managementBearerTokenFilterRegistration(
      BearerTokenFilter filter) {
    return KubernetesSecurityConfig.registration(filter);
  }

  /** Only in the management server's context, a child of the application's. */
  static final class InChildContext implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      ConfigurableListableBeanFactory beans = context.getBeanFactory();
      return beans != null && beans.getParentBeanFactory() != null;
    }
  }
}
