package io.dranode.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dranode.agent.testing.TestProperties;
import java.nio.file.Path;
import java.time.Duration;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.context.properties.bind.BindException;

/** The settings as the application binds them: defaults, derived folders, bad values named. */
class AgentPropertiesTest {

  @Test
  void defaultsAreTheKubeletsWhereItHasOne() {
    AgentProperties p = TestProperties.of();

    assertThat(p.mode()).isEqualTo(AgentProperties.Mode.REGISTRAR);
    assertThat(p.kubeletRootDir()).isEqualTo(Path.of("/var/lib/kubelet"));
    assertThat(p.registryDir()).isEqualTo(Path.of("/var/lib/kubelet/plugins_registry"));
    assertThat(p.pluginsDir()).isEqualTo(Path.of("/var/lib/kubelet/plugins"));
    assertThat(p.registration().getInfoTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.registration().notifyTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(p.registration().retryInitial()).isEqualTo(Duration.ofMillis(500));
    assertThat(p.registration().retryMax()).isEqualTo(Duration.ofSeconds(122));
    assertThat(p.wipe().enabled()).isTrue();
    assertThat(p.wipe().dryRun()).isFalse();
    assertThat(p.wipe().delay()).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.wipe().sweepInterval()).isEqualTo(Duration.ofMinutes(5));
    assertThat(p.wipe().retryInitial()).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.wipe().retryMax()).isEqualTo(Duration.ofMinutes(5));
    assertThat(p.wipe().parallelDeletes()).isEqualTo(16);
    assertThat(p.kubernetes().fieldSelectors()).isEqualTo(AgentProperties.FieldSelectors.SERVER);
    assertThat(p.deviceHealth().retryInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(p.deviceHealth().defaultTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  /**
   * The kubelet's webhook cache: 2 min for a grant; refusals briefly, so a new grant works soon.
   */
  @Test
  void securityIsOffByDefaultAndCachesLikeTheKubelet() {
    AgentProperties.Security security = TestProperties.of().security();

    assertThat(security.mode()).isEqualTo(AgentProperties.SecurityMode.NONE);
    assertThat(security.audiences()).isEmpty();
    assertThat(security.cache().allowedTtl()).isEqualTo(Duration.ofMinutes(2));
    assertThat(security.cache().deniedTtl()).isEqualTo(Duration.ofSeconds(10));
    assertThat(security.cache().size()).isEqualTo(1000);
    assertThat(security.maxReviewsInFlight()).isEqualTo(4);
    assertThat(security.reviewTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(security.tls().fromFiles()).isFalse();
    assertThat(security.tls().reloadInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(security.tls().podIp()).isNull();
  }

  @Test
  void securitySettingsBind() {
    AgentProperties.Security security =
        TestProperties.of(
                "dra.agent.security.mode=kubernetes",
                "dra.agent.security.audiences=dra-node-agent,https://kubernetes.default.svc",
                "dra.agent.security.tls.certificate-file=/etc/tls/tls.crt",
                "dra.agent.security.tls.private-key-file=/etc/tls/tls.key",
                "dra.agent.security.tls.pod-ip= 10.0.0.7 ")
            .security();

    assertThat(security.mode()).isEqualTo(AgentProperties.SecurityMode.KUBERNETES);
    assertThat(security.audiences())
        .containsExactly("dra-node-agent", "https://kubernetes.default.svc");
    assertThat(security.tls().certificateFile()).isEqualTo(Path.of("/etc/tls/tls.crt"));
    assertThat(security.tls().fromFiles()).isTrue();
    assertThat(security.tls().podIp()).isEqualTo("10.0.0.7");
    assertThat(TestProperties.of("dra.agent.security.tls.pod-ip=fd00::7").security().tls().podIp())
        .isEqualTo("fd00:0:0:0:0:0:0:7");
  }

  @Test
  void badSecuritySettingsNameTheirProperty() {
    assertRefused(
        () -> TestProperties.of("dra.agent.security.max-reviews-in-flight=0"),
        "dra.agent.security.max-reviews-in-flight must be between 1 and 64, got 0");
    assertRefused(
        () -> TestProperties.of("dra.agent.security.cache.denied-ttl=0s"),
        "dra.agent.security.cache.denied-ttl must be a positive duration");
    assertRefused(
        () -> TestProperties.of("dra.agent.security.cache.size=0"),
        "dra.agent.security.cache.size must be at least 1, got 0");
    assertRefused(
        () -> TestProperties.of("dra.agent.security.tls.certificate-file=/etc/tls/tls.crt"),
        "dra.agent.security.tls.certificate-file and dra.agent.security.tls.private-key-file go"
            + " together");
    assertRefused(
        () ->
            TestProperties.of(
                "dra.agent.security.tls.certificate-file=tls.crt",
                "dra.agent.security.tls.private-key-file=/etc/tls/tls.key"),
        "dra.agent.security.tls.certificate-file must be an absolute path");
    assertRefused(
        () -> TestProperties.of("dra.agent.security.tls.pod-ip=node-7.example.com"),
        "dra.agent.security.tls.pod-ip must be an IPv4 or IPv6 address, got 'node-7.example.com'");
  }

  @Test
  void theFoldersFollowTheKubeletRoot() {
    AgentProperties p =
        TestProperties.of("dra.agent.kubelet-root-dir=/var/lib/k0s/kubelet/../kubelet");

    assertThat(p.kubeletRootDir()).isEqualTo(Path.of("/var/lib/k0s/kubelet"));
    assertThat(p.registryDir()).isEqualTo(Path.of("/var/lib/k0s/kubelet/plugins_registry"));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {0, -1, AgentProperties.Wipe.PARALLEL_DELETES_MAX + 1})
  void outOfRangeParallelDeletesAreRefusedWithThePropertyName(int value) {
    assertRefused(
        () -> TestProperties.of("dra.agent.wipe.parallel-deletes=" + value),
        "dra.agent.wipe.parallel-deletes must be between 1 and "
            + AgentProperties.Wipe.PARALLEL_DELETES_MAX
            + ", got "
            + value);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {1, AgentProperties.Wipe.PARALLEL_DELETES_MAX})
  void theBoundsAreAccepted(int value) {
    assertThat(
            TestProperties.of("dra.agent.wipe.parallel-deletes=" + value).wipe().parallelDeletes())
        .isEqualTo(value);
  }

  @Test
  void badValuesNameTheirProperty() {
    assertRefused(
        () -> TestProperties.of("dra.agent.wipe.delay=0s"),
        "dra.agent.wipe.delay must be a positive duration, got PT0S");
    assertRefused(
        () -> TestProperties.of("dra.agent.kubelet-root-dir=relative/kubelet"),
        "dra.agent.kubelet-root-dir must be an absolute path, got 'relative/kubelet'");
    assertRefused(
        () -> TestProperties.of("dra.agent.node-name=Not_A_Node"),
        "dra.agent.node-name 'Not_A_Node' is not a valid Kubernetes node name");
    assertRefused(
        () ->
            TestProperties.of(
                "dra.agent.registration.retry-initial=10s", "dra.agent.registration.retry-max=1s"),
        "dra.agent.registration.retry-max (PT1S) must not be shorter than"
            + " dra.agent.registration.retry-initial (PT10S)");
  }

  private static void assertRefused(ThrowingCallable binding, String message) {
    assertThatThrownBy(binding)
        .isInstanceOf(BindException.class)
        .rootCause()
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }
}
