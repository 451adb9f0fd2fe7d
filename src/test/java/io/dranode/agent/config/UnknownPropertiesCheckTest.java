package io.dranode.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dranode.agent.config.UnknownPropertiesCheck.UnknownPropertyException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * A name under {@code dra.agent} that is no property stops start-up and says which; every form that
 * binds (command line, relaxed names, environment variables) passes.
 */
class UnknownPropertiesCheckTest {

  @Configuration(proxyBeanMethods = false)
  static class Nothing {}

  private static final SpringApplication APP = new SpringApplication(Nothing.class);

  /** The check over an environment holding these environment variables. */
  private static void checkEnvironment(Map<String, Object> variables) {
    StandardEnvironment environment = new StandardEnvironment();
    environment
        .getPropertySources()
        .replace(
            StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
            new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables));
    new UnknownPropertiesCheck().postProcessEnvironment(environment, APP);
  }

  /** The check over an environment holding these properties (as the command line does). */
  private static void checkProperties(Map<String, Object> properties) {
    StandardEnvironment environment = new StandardEnvironment();
    environment.getPropertySources().addFirst(new MapPropertySource("commandLineArgs", properties));
    new UnknownPropertiesCheck().postProcessEnvironment(environment, APP);
  }

  @Test
  void aMisspeltCommandLinePropertyStopsStartUpNamingItAndTheNearestOne() {
    assertThatThrownBy(
            () ->
                new SpringApplicationBuilder(Nothing.class)
                    .web(WebApplicationType.NONE)
                    .logStartupInfo(false)
                    .run("--dra.agent.mdoe=observer"))
        .isInstanceOf(UnknownPropertyException.class)
        .hasMessageContaining("'dra.agent.mdoe'")
        .hasMessageContaining("did you mean 'dra.agent.mode'?");
  }

  @Test
  void aMisspeltEnvironmentVariableIsNamedAsWritten() {
    assertThatThrownBy(() -> checkEnvironment(Map.of("DRA_AGENT_WIPE_DELY", "45s")))
        .isInstanceOfSatisfying(
            UnknownPropertyException.class,
            e ->
                assertThat(e.problems())
                    .singleElement()
                    .asString()
                    .contains("'dra.agent.wipe.dely'")
                    .contains("DRA_AGENT_WIPE_DELY")
                    .contains("did you mean 'dra.agent.wipe.delay'?"));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "DRA_AGENT_MODE",
        "DRA_AGENT_KUBELET_ROOT_DIR",
        "DRA_AGENT_WIPE_DRY_RUN",
        "DRA_AGENT_WIPE_DRYRUN",
        "DRA_AGENT_WIPE_SWEEP_INTERVAL",
        "DRA_AGENT_WIPE_PARALLEL_DELETES",
        "DRA_AGENT_REGISTRATION_GET_INFO_TIMEOUT",
        "DRA_AGENT_KUBERNETES_FIELD_SELECTORS",
        "DRA_AGENT_DEVICE_HEALTH_DEFAULT_TIMEOUT",
        "dra_agent_node_name"
      })
  void everyEnvironmentVariableFormOfAKnownPropertyPasses(String variable) {
    assertThatCode(() -> checkEnvironment(Map.of(variable, "x"))).doesNotThrowAnyException();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "dra.agent.wipe.dry-run",
        "dra.agent.wipe.dryRun",
        "dra.agent.wipe.dry_run",
        "dra.agent.Mode",
        "dra.agent.device-health.retry-interval",
        "dra.agent.deviceHealth.retryInterval"
      })
  void everyRelaxedFormOfAKnownPropertyPasses(String name) {
    assertThatCode(() -> checkProperties(Map.of(name, "x"))).doesNotThrowAnyException();
  }

  /** Spring would not bind it: a dot is an element boundary outside environment variables. */
  @Test
  void aDotWhereADashBelongsIsUnknown() {
    assertThatThrownBy(() -> checkProperties(Map.of("dra.agent.registry.dir", "/x")))
        .isInstanceOf(UnknownPropertyException.class)
        .hasMessageContaining("did you mean 'dra.agent.registry-dir'?");
  }

  @Test
  void propertiesOutsideTheAgentsPrefixAreNotItsBusiness() {
    assertThatCode(
            () ->
                checkProperties(
                    Map.of("dra.agentx", "1", "spring.whatever", "2", "dra.other.thing", "3")))
        .doesNotThrowAnyException();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "dra.agent.wipe.dely, dra.agent.wipe.delay",
    "dra.agent.kubelet-roots-dir, dra.agent.kubelet-root-dir",
    "dra.agent.registry.dir, dra.agent.registry-dir",
    "dra.agent.wipe.parallel-delete, dra.agent.wipe.parallel-deletes"
  })
  void theNearestKnownNameIsSuggested(String typo, String suggestion) {
    assertThat(UnknownPropertiesCheck.nearest(typo)).isEqualTo(suggestion);
  }

  @Test
  void nothingIsSuggestedForANameFarFromEveryProperty() {
    assertThat(UnknownPropertiesCheck.nearest("dra.agent.completely.unrelated.setting")).isNull();
  }

  @Test
  void severalUnknownNamesAreAllReported() {
    assertThatThrownBy(
            () -> checkProperties(Map.of("dra.agent.mdoe", "a", "dra.agent.wipe.x", "b")))
        .isInstanceOfSatisfying(
            UnknownPropertyException.class, e -> assertThat(e.problems()).hasSize(2));
  }

  @Test
  void theFailureAnalysisSaysWhatToChange() {
    FailureAnalysis analysis =
        new UnknownPropertyFailureAnalyzer()
            .analyze(new UnknownPropertyException(java.util.List.of("'dra.agent.mdoe'")));

    assertThat(analysis.getDescription()).contains("'dra.agent.mdoe'");
    assertThat(analysis.getAction()).contains("README").contains("environment variable");
  }
}
