package io.dranode.agent.quarantine;

import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.input.KubernetesNames;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Rule names: valid, bounded, stable, one per pool, and starting with the node's name. */
class TaintRuleTest {

  @ParameterizedTest(name = "{0} / {1} / {2}")
  @CsvSource({
    "worker-1,               gpu.example.com, worker-1",
    "node--a.zone-b,         gpu.example.com, node--a.zone-b",
    "worker-1,               gpu.example.com, 'rack/3/.slot_A'",
    "worker-1,               gpu.example.com, '///'",
    "worker-1,               GPU.example.com, pool",
    "a23456789012345678901234567890123456789012345678901234567890123, "
        + "d23456789012345678901234567890123456789012345678901234567890123, "
        + "p2345678901234567890123456789012345678901234567890123456789012345678901234567890"
        + "12345678901234567890123456789012345678901234567890123456789012345678901234567890"
        + "12345678901234567890123456789012345678901234567890123456789012345678901234567890"
  })
  void aValidBoundedNameThatStartsWithTheNodesName(String node, String driver, String pool) {
    TaintRule rule = TaintRule.of(node, driver, pool);

    assertThat(rule.name()).startsWith(node + "-").hasSizeLessThanOrEqualTo(TaintRule.NAME_MAX);
    assertThat(KubernetesNames.isDnsSubdomain(rule.name(), TaintRule.NAME_MAX))
        .as("%s is a valid object name", rule.name())
        .isTrue();
    assertThat(TaintRule.of(node, driver, pool)).isEqualTo(rule);
    assertThat(TaintRule.of(node, driver, pool + "x").name()).isNotEqualTo(rule.name());
    assertThat(TaintRule.of(node, driver + "x", pool).name()).isNotEqualTo(rule.name());
  }
}
