package io.dranode.agent.web;

import org.springframework.context.annotation.Configuration;
import org.springframework.http.converter.HttpMessageConverters;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;
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

  /**
   * No Bean Validation in MVC: no handler takes a {@code @Valid} argument (inputs are checked by
   * hand, with clear messages), so wherever a validator is on the class path (the tests' OpenAPI
   * generator brings one) Spring must not bootstrap it for nothing.
   */
  @Override
  public Validator getValidator() {
    return NOTHING_TO_VALIDATE;
  }

  private static final Validator NOTHING_TO_VALIDATE =
      new Validator() {
        @Override
        public boolean supports(Class<?> clazz) {
          return false;
        }

        @Override
        public void validate(Object target, Errors errors) {}
      };
}
