package io.dranode.agent.web;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document ({@code GET /v3/api-docs}) is built when first asked for, and so are the
 * beans that build it: springdoc's beans bring swagger-core and a second Jackson generation with
 * them, which an agent that rarely serves the document need not load at start-up.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfig {

  private static final String SPRINGDOC = "org.springdoc.";

  /** Static: a factory post-processor must not make its configuration class initialize early. */
  @Bean
  static BeanFactoryPostProcessor lazyOpenApiBeans() {
    return OpenApiConfig::markSpringdocLazy;
  }

  static void markSpringdocLazy(ConfigurableListableBeanFactory beanFactory) {
    for (String name : beanFactory.getBeanDefinitionNames()) {
      BeanDefinition definition = beanFactory.getBeanDefinition(name);
      if (isSpringdoc(beanFactory, definition)) {
        definition.setLazyInit(true);
      }
    }
  }

  private static boolean isSpringdoc(
      ConfigurableListableBeanFactory beanFactory, BeanDefinition definition) {
    if (startsWithSpringdoc(definition.getBeanClassName())) {
      return true;
    }
    String factory = definition.getFactoryBeanName();
    return factory != null
        && beanFactory.containsBeanDefinition(factory)
        && startsWithSpringdoc(beanFactory.getBeanDefinition(factory).getBeanClassName());
  }

  private static boolean startsWithSpringdoc(@Nullable String className) {
    return className != null && className.startsWith(SPRINGDOC);
  }
}
