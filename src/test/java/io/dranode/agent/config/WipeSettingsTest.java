package io.dranode.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The bound on a wipe's deletes in flight: its default, and a bad value named in the error. */
class WipeSettingsTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {0, -1, AgentProperties.Wipe.PARALLEL_DELETES_MAX + 1})
  void outOfRangeParallelDeletesAreRefusedWithThePropertyName(int value) {
    AgentProperties.Wipe defaults = AgentProperties.Wipe.defaults();

    assertThatThrownBy(() -> defaults.withParallelDeletes(value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "dra.agent.wipe.parallel-deletes must be between 1 and "
                + AgentProperties.Wipe.PARALLEL_DELETES_MAX
                + ", got "
                + value);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {1, AgentProperties.Wipe.PARALLEL_DELETES_MAX})
  void theBoundsAreAccepted(int value) {
    assertThat(AgentProperties.Wipe.defaults().withParallelDeletes(value).parallelDeletes())
        .isEqualTo(value);
  }

  @Test
  void defaultIsSixteen() {
    AgentProperties.Wipe defaults = AgentProperties.Wipe.defaults();

    assertThat(defaults.parallelDeletes()).isEqualTo(16);
    assertThat(defaults.delay()).isEqualTo(Duration.ofSeconds(30));
  }
}
