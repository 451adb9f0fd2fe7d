package io.dranode.agent.web;

import org.springframework.context.annotation.Configuration;
import org.springframework.http.converter.HttpMessageConverters;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import tools.jackson.databind.json.JsonMapper;

/** Spring MVC settings of the REST API. */
@Configuration(proxyBeanMethods = false)
class WebConfig implements WebMvcConfigurer {

  private final JsonMapper mapper;

  WebConfig(JsonMapper mapper) {
    this.mapper = mapper;
  }

  /** {@code GET /api/v1/plugins} reuses its JSON while the view is unchanged; see the converter. */
  @Override
  public void configureMessageConverters(HttpMessageConverters.ServerBuilder builder) {
    builder.addCustomConverter(new PluginsJsonConverter(mapper));
  }
}
