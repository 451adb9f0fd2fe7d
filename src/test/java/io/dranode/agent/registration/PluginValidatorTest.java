package io.dranode.agent.registration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.argumentSet;

import io.dranode.agent.proto.pluginregistration.PluginInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The validator against upstream's tables: TestRegistrationHandler's service choice,
 * TestPickHealthService, and TestRegisterPluginRejectsUntrustedInput /
 * ...AcceptsEndpointInsideRootDir with root dir {@code /var/lib/kubelet}; plus hostile input that
 * must not leak into reasons.
 */
class PluginValidatorTest {

  private static final Path ROOT = Path.of("/var/lib/kubelet");
  private static final Path REGISTRATION_SOCKET =
      Path.of("/var/lib/kubelet/plugins_registry/gpu.example.com-reg.sock");
  private static final String GOOD_DRIVER = "good.example.com";
  private static final String GOOD_ENDPOINT = "/var/lib/kubelet/plugins/foo/plugin.sock";

  private final PluginValidator validator =
      new PluginValidator(ROOT, ROOT.resolve("plugins_registry"), ROOT.resolve("plugins"));

  private static PluginInfo dra(String driver, String endpoint, List<String> versions) {
    return PluginInfo.newBuilder()
        .setType(PluginValidator.DRA_PLUGIN_TYPE)
        .setName(driver)
        .setEndpoint(endpoint)
        .addAllSupportedVersions(versions)
        .build();
  }

  private Decision decide(PluginInfo info) {
    return validator.decide(info, REGISTRATION_SOCKET);
  }

  private static Decision.Accept accepted(Decision decision) {
    assertThat(decision).isInstanceOf(Decision.Accept.class);
    return (Decision.Accept) decision;
  }

  private static Decision.Refuse refused(Decision decision) {
    assertThat(decision).isInstanceOf(Decision.Refuse.class);
    return (Decision.Refuse) decision;
  }

  // --- service choice (TestRegistrationHandler, 1.34+ with the v1 variants) ---

  static Stream<Arguments> services() {
    return Stream.of(
        argumentSet("current-service", List.of("v1beta1.DRAPlugin"), "v1beta1.DRAPlugin"),
        argumentSet(
            "two-services",
            List.of("v1alpha3.NodeService", "v1beta1.DRAPlugin"),
            "v1beta1.DRAPlugin"),
        argumentSet("v1-only", List.of("v1.DRAPlugin"), "v1.DRAPlugin"),
        argumentSet(
            "v1-then-v1beta1", List.of("v1.DRAPlugin", "v1beta1.DRAPlugin"), "v1.DRAPlugin"),
        argumentSet(
            "v1beta1-then-v1 (the plugin's order wins)",
            List.of("v1beta1.DRAPlugin", "v1.DRAPlugin"),
            "v1beta1.DRAPlugin"));
  }

  @ParameterizedTest
  @MethodSource("services")
  void picksTheFirstSupportedServiceInThePluginsOrder(List<String> offered, String expected) {
    Decision.Accept accept = accepted(decide(dra(GOOD_DRIVER, GOOD_ENDPOINT, offered)));

    assertThat(accept.service()).isEqualTo(expected);
    assertThat(accept.driver()).isEqualTo(GOOD_DRIVER);
    assertThat(accept.endpoint()).isEqualTo(GOOD_ENDPOINT);
  }

  static Stream<Arguments> unsupportedServices() {
    return Stream.of(
        argumentSet(
            "no-services",
            List.of(),
            "empty list of supported gRPC services (aka supported versions)"),
        argumentSet("version (legacy fallback removed)", List.of("1.0.0"), "\"1.0.0\""),
        argumentSet(
            "old-service only",
            List.of("v1alpha3.NodeService"),
            "none of the services supported by the plugin"),
        argumentSet(
            "health service only", List.of("v1.DRAResourceHealth"), "none of the services"));
  }

  @ParameterizedTest
  @MethodSource("unsupportedServices")
  void refusesAPluginWithoutASupportedService(List<String> offered, String fragment) {
    Decision.Refuse refuse = refused(decide(dra(GOOD_DRIVER, GOOD_ENDPOINT, offered)));

    assertThat(refuse.reason())
        .startsWith("invalid supported gRPC versions of DRA driver plugin " + GOOD_DRIVER)
        .contains(fragment);
    assertThat(refuse.driver()).isEqualTo(GOOD_DRIVER);
  }

  // --- health service (TestPickHealthService) ---

  static Stream<Arguments> healthServices() {
    return Stream.of(
        argumentSet("none", List.of("v1.DRAPlugin"), null),
        argumentSet(
            "only-v1alpha1",
            List.of("v1.DRAPlugin", "v1alpha1.DRAResourceHealth"),
            "v1alpha1.DRAResourceHealth"),
        argumentSet(
            "only-v1", List.of("v1.DRAPlugin", "v1.DRAResourceHealth"), "v1.DRAResourceHealth"),
        argumentSet(
            "both",
            List.of("v1.DRAPlugin", "v1alpha1.DRAResourceHealth", "v1.DRAResourceHealth"),
            "v1.DRAResourceHealth"),
        argumentSet(
            "both, v1 listed first",
            List.of("v1.DRAResourceHealth", "v1alpha1.DRAResourceHealth", "v1beta1.DRAPlugin"),
            "v1.DRAResourceHealth"));
  }

  @ParameterizedTest
  @MethodSource("healthServices")
  void prefersTheV1HealthServiceAndUsesOnlyAnAdvertisedOne(
      List<String> offered, @Nullable String expected) {
    Decision.Accept accept = accepted(decide(dra(GOOD_DRIVER, GOOD_ENDPOINT, offered)));

    assertThat(accept.healthService()).isEqualTo(expected);
  }

  // --- untrusted input (TestRegisterPluginRejectsUntrustedInput) ---

  static Stream<Arguments> untrustedInput() {
    String at107Bytes = "/var/lib/kubelet/plugins/" + "a".repeat(107 - 30) + ".sock";
    return Stream.of(
        argumentSet("empty-driver", "", GOOD_ENDPOINT, "Required value"),
        argumentSet("driver-with-slash", "../evil", GOOD_ENDPOINT, "invalid DRA driver name"),
        argumentSet("driver-with-space", "evil driver", GOOD_ENDPOINT, "invalid DRA driver name"),
        argumentSet("driver-upper-case", "Evil.example.com", GOOD_ENDPOINT, "invalid DRA driver"),
        argumentSet("driver-too-long", "a".repeat(64), GOOD_ENDPOINT, "Too long"),
        argumentSet("relative-endpoint", GOOD_DRIVER, "plugin.sock", "must be an absolute path"),
        argumentSet(
            "endpoint-too-long",
            GOOD_DRIVER,
            "/var/lib/kubelet/plugins/" + "a".repeat(100) + "/plugin.sock",
            "longer than"),
        argumentSet("endpoint-of-108-bytes", GOOD_DRIVER, at107Bytes + "x", "longer than"),
        argumentSet(
            "endpoint-outside-rootDir",
            GOOD_DRIVER,
            "/run/some-other/socket.sock",
            "is not inside"),
        argumentSet(
            "endpoint-dotdot-escapes-rootDir",
            GOOD_DRIVER,
            "/var/lib/kubelet/../../etc/passwd",
            "is not inside"),
        argumentSet(
            "endpoint-in-a-sibling-with-the-same-prefix",
            GOOD_DRIVER,
            "/var/lib/kubelet-evil/plugins/dra.sock",
            "is not inside"),
        argumentSet("endpoint-is-rootDir-itself", GOOD_DRIVER, "/var/lib/kubelet", "is not inside"),
        // Not upstream's: folders the agent knows, inside the root but never a socket.
        argumentSet(
            "endpoint-is-the-registry-folder",
            GOOD_DRIVER,
            "/var/lib/kubelet/plugins_registry/",
            "plugin registration folder itself"),
        argumentSet(
            "endpoint-is-the-plugins-folder-after-dotdot",
            GOOD_DRIVER,
            "/var/lib/kubelet/plugins/x/..",
            "plugins folder itself"),
        argumentSet(
            "endpoint-with-a-newline",
            GOOD_DRIVER,
            "/var/lib/kubelet/plugins/x\n2026-01-01 INFO forged/dra.sock",
            "contains a control character"),
        argumentSet(
            "endpoint-with-an-escape-sequence",
            GOOD_DRIVER,
            "/var/lib/kubelet/plugins/\u001b[2Jx/dra.sock",
            "contains a control character"));
  }

  @ParameterizedTest
  @MethodSource("untrustedInput")
  void refusesUntrustedInputWithTheUpstreamFragment(
      String driver, String endpoint, String fragment) {
    Decision.Refuse refuse = refused(decide(dra(driver, endpoint, List.of("v1.DRAPlugin"))));

    assertThat(refuse.reason()).contains(fragment);
  }

  @Test
  void emptyEndpointIsRefusedWhenAskedDirectly() {
    // Through GetInfo an empty endpoint means the registration socket; the check itself refuses it.
    assertThat(validator.endpointProblem("")).contains("empty DRA plugin endpoint");
  }

  @Test
  void endpointOf107BytesIsTheLongestAccepted() {
    String endpoint = "/var/lib/kubelet/plugins/" + "a".repeat(107 - 30) + ".sock";
    assertThat(endpoint.length()).isEqualTo(107);

    assertThat(validator.endpointProblem(endpoint)).isNull();
  }

  static Stream<Arguments> acceptedEndpoints() {
    return Stream.of(
        argumentSet(
            "plugins folder",
            "/var/lib/kubelet/plugins/example.com/dra.sock",
            "/var/lib/kubelet/plugins/example.com/dra.sock"),
        argumentSet(
            "nested (rolling update)",
            "/var/lib/kubelet/plugins/example.com/rolling/dra.sock",
            "/var/lib/kubelet/plugins/example.com/rolling/dra.sock"),
        argumentSet(
            "registry folder",
            "/var/lib/kubelet/plugins_registry/example.com-common.sock",
            "/var/lib/kubelet/plugins_registry/example.com-common.sock"),
        argumentSet(
            "dot segments that stay inside (normalised)",
            "/var/lib/kubelet/plugins/./example.com/../dra.sock",
            "/var/lib/kubelet/plugins/dra.sock"),
        argumentSet("empty means the registration socket", "", REGISTRATION_SOCKET.toString()));
  }

  @ParameterizedTest
  @MethodSource("acceptedEndpoints")
  void acceptsEndpointsInsideTheRootDir(String endpoint, String expected) {
    Decision.Accept accept =
        accepted(decide(dra("example.com", endpoint, List.of("v1beta1.DRAPlugin"))));

    assertThat(accept.endpoint()).isEqualTo(expected);
  }

  // --- plugin types ---

  @ParameterizedTest
  @ValueSource(strings = {"CSIPlugin", "DevicePlugin"})
  void otherKnownPluginTypesAreNotOurs(String type) {
    PluginInfo info =
        PluginInfo.newBuilder()
            .setType(type)
            .setName("csi.example.com")
            .addSupportedVersions("1.0.0")
            .build();

    Decision decision = decide(info);

    assertThat(decision).isEqualTo(new Decision.NotOurs(type, "csi.example.com"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "draplugin", "DRAPlugin ", "SomethingElse"})
  void unknownPluginTypesAreRefused(String type) {
    PluginInfo info =
        PluginInfo.newBuilder()
            .setType(type)
            .setName(GOOD_DRIVER)
            .setEndpoint(GOOD_ENDPOINT)
            .addSupportedVersions("v1.DRAPlugin")
            .build();

    Decision.Refuse refuse = refused(decide(info));

    assertThat(refuse.reason()).contains("unsupported plugin type").contains("only DRAPlugin");
    assertThat(refuse.driver()).isNull();
  }

  // --- hostile input: reasons stay short and printable ---

  static Stream<Arguments> hostileInput() {
    List<String> tenThousandVersions = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      tenThousandVersions.add("v" + i + ".NotDRA\n\u001b[31m" + "x".repeat(100));
    }
    List<String> tenThousandControlVersions =
        Collections.nCopies(10_000, "\u0001\u001b\n".repeat(200));
    String tenMegabytes = "a".repeat(10 * 1024 * 1024);
    String controls = "evil\n\r\t\u0000\u001b[2J\u007f\u0085driver";
    return Stream.of(
        argumentSet("10 MB driver name", dra(tenMegabytes, GOOD_ENDPOINT, List.of("v1.DRAPlugin"))),
        argumentSet(
            "10 MB driver name with a capital",
            dra("A" + tenMegabytes, GOOD_ENDPOINT, List.of("v1.DRAPlugin"))),
        argumentSet(
            "10 MB endpoint",
            dra(GOOD_DRIVER, "/var/lib/kubelet/" + tenMegabytes, List.of("v1.DRAPlugin"))),
        argumentSet(
            "10 MB relative endpoint", dra(GOOD_DRIVER, tenMegabytes, List.of("v1.DRAPlugin"))),
        argumentSet("10,000 versions", dra(GOOD_DRIVER, GOOD_ENDPOINT, tenThousandVersions)),
        argumentSet(
            "10,000 versions of control characters (escapes are six characters long)",
            dra(GOOD_DRIVER, GOOD_ENDPOINT, tenThousandControlVersions)),
        argumentSet(
            "10 MB of control characters as the name",
            dra("\u0007".repeat(10 * 1024 * 1024), GOOD_ENDPOINT, List.of("v1.DRAPlugin"))),
        argumentSet(
            "control characters in the name",
            dra(controls, GOOD_ENDPOINT, List.of("v1.DRAPlugin"))),
        argumentSet(
            "control characters in the endpoint",
            dra(GOOD_DRIVER, "/run/" + controls, List.of("v1.DRAPlugin"))),
        argumentSet(
            "control characters in a relative endpoint",
            dra(GOOD_DRIVER, controls, List.of("v1.DRAPlugin"))),
        argumentSet(
            "control characters in a version", dra(GOOD_DRIVER, GOOD_ENDPOINT, List.of(controls))),
        argumentSet(
            "control characters and 10 MB in the type",
            PluginInfo.newBuilder()
                .setType(controls + tenMegabytes)
                .setName(GOOD_DRIVER)
                .addSupportedVersions("v1.DRAPlugin")
                .build()));
  }

  @ParameterizedTest
  @MethodSource("hostileInput")
  void hostileInputIsRefusedWithAShortPrintableReason(PluginInfo info) {
    Decision.Refuse refuse = refused(decide(info));

    assertShortAndPrintable(refuse.reason());
    String driver = refuse.driver();
    if (driver != null && !driver.equals(GOOD_DRIVER)) {
      assertShortAndPrintable(driver);
    }
  }

  @Test
  void hostileNameOfAForeignPluginIsShortenedToo() {
    PluginInfo info =
        PluginInfo.newBuilder()
            .setType("CSIPlugin")
            .setName("csi\n\u001b[31m" + "x".repeat(10 * 1024 * 1024))
            .build();

    Decision decision = decide(info);

    assertThat(decision).isInstanceOf(Decision.NotOurs.class);
    assertShortAndPrintable(((Decision.NotOurs) decision).name());
  }

  private static void assertShortAndPrintable(String text) {
    assertThat(text.length()).as("length of %.120s", text).isLessThan(1_000);
    assertThat(text.chars().filter(Character::isISOControl).toArray())
        .as("control characters in %.120s", text)
        .isEmpty();
  }
}
