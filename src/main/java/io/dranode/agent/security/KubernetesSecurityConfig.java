package io.dranode.agent.security;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentScheduler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.DispatcherType;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.grpc.server.GlobalServerInterceptor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code dra.agent.security.mode=kubernetes}: the reviews, the HTTP filter, the gRPC interceptor
 * and the certificate. None of it is created, or even loaded, in {@code none} mode.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "dra.agent.security", name = "mode", havingValue = "kubernetes")
class KubernetesSecurityConfig {

  /**
   * Where Spring Security's filter chain would sit: after Spring's own request set-up (encoding,
   * observation), before everything else.
   */
  static final int FILTER_ORDER = -100;

  @Bean
  AccessReviews accessReviews(
      KubernetesClient client,
      AgentProperties properties,
      @Qualifier("reviewExecutor") ThreadPoolTaskExecutor reviewExecutor,
      AgentScheduler scheduler,
      Clock clock,
      MeterRegistry registry) {
    AgentProperties.Security security = properties.security();
    return new AccessReviews(
        new KubernetesReviewApi(client, security.audiences()),
        new ReviewRunner(
            reviewExecutor, scheduler, security.maxReviewsInFlight(), security.reviewTimeout()),
        clock,
        security.cache(),
        registry);
  }

  @Bean
  BearerTokenFilter bearerTokenFilter(
      AccessReviews reviews, JsonMapper json, AgentProperties properties) {
    return new BearerTokenFilter(reviews, json, properties.security().reviewTimeout());
  }

  @Bean
  FilterRegistrationBean<BearerTokenFilter> bearerTokenFilterRegistration(
      BearerTokenFilter filter) {
    return registration(filter);
  }

  /** Also on the management server's port, when it has its own ({@link ManagementPortSecurity}). */
  static FilterRegistrationBean<BearerTokenFilter> registration(BearerTokenFilter filter) {
    FilterRegistrationBean<BearerTokenFilter> registration = new FilterRegistrationBean<>(filter);
    registration.setName("bearerTokenFilter");
    registration.setOrder(FILTER_ORDER);
    registration.setAsyncSupported(true); // a request waiting for its review is suspended
    registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC);
    registration.addUrlPatterns("/*");
    return registration;
  }

  @Bean
  @GlobalServerInterceptor
  @Order(Ordered.HIGHEST_PRECEDENCE)
  BearerTokenInterceptor bearerTokenInterceptor(AccessReviews reviews) {
    return new BearerTokenInterceptor(reviews);
  }

  @Bean
  AgentCertificates agentCertificates(AgentProperties properties, Clock clock) {
    AgentProperties.Security.Tls tls = properties.security().tls();
    if (tls.fromFiles()) {
      Path certificate = Objects.requireNonNull(tls.certificateFile());
      Path key = Objects.requireNonNull(tls.privateKeyFile());
      return AgentCertificates.fromFiles(new CertificateFiles(certificate, key), clock);
    }
    return AgentCertificates.selfSigned(
        SelfSignedCertificate.make(properties.nodeName(), tls.podIp(), clock), clock);
  }

  @Bean
  @ConditionalOnProperty(prefix = "dra.agent.security.tls", name = "certificate-file")
  CertificateReloader certificateReloader(
      AgentCertificates certificates, AgentScheduler scheduler, AgentProperties properties) {
    return new CertificateReloader(
        certificates, scheduler, properties.security().tls().reloadInterval());
  }
}
