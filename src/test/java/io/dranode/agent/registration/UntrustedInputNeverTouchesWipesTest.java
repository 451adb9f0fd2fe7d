package io.dranode.agent.registration;

import static io.dranode.agent.registration.RegistrationRig.info;
import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.testing.Stores;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Invariant 6 from the cleanup's side: bad input from a plugin is refused with a clear reason, and
 * a refusal changes no driver's state, so it can neither schedule a wipe nor cancel one (a plugin
 * that claims a live driver's name with a bad endpoint must not save or doom that driver's slices),
 * while every other driver keeps being served.
 */
class UntrustedInputNeverTouchesWipesTest {

  static final Path ROOT = Path.of("/var/lib/kubelet");
  static final Path SOCKET = ROOT.resolve("plugins_registry/bad.sock");
  static final String LIVE = "live.example.com";

  static Stream<Arguments> badInput() {
    return Stream.of(
        Arguments.of(
            "wrong type",
            info("FancyPlugin", LIVE, endpoint("x"), "v1.DRAPlugin"),
            "unsupported plugin type"),
        Arguments.of(
            "empty driver name",
            info("DRAPlugin", "", endpoint("x"), "v1.DRAPlugin"),
            "Required value"),
        Arguments.of(
            "invalid driver name",
            info("DRAPlugin", "Not_A_Name", endpoint("x"), "v1.DRAPlugin"),
            "invalid DRA driver name"),
        Arguments.of(
            "driver name too long",
            info("DRAPlugin", "a".repeat(64), endpoint("x"), "v1.DRAPlugin"),
            "Too long"),
        Arguments.of(
            "no supported version",
            info("DRAPlugin", LIVE, endpoint("x"), "1.0.0"),
            "none of the services"),
        Arguments.of("no versions at all", info("DRAPlugin", LIVE, endpoint("x")), "empty list"),
        Arguments.of(
            "relative endpoint",
            info("DRAPlugin", LIVE, "plugins/x.sock", "v1.DRAPlugin"),
            "must be an absolute path"),
        Arguments.of(
            "endpoint outside the kubelet root",
            info("DRAPlugin", LIVE, "/etc/x.sock", "v1.DRAPlugin"),
            "is not inside"),
        Arguments.of(
            "endpoint escaping with ..",
            info("DRAPlugin", LIVE, ROOT + "/plugins/../../../etc/x.sock", "v1.DRAPlugin"),
            "is not inside"),
        Arguments.of(
            "endpoint too long",
            info("DRAPlugin", LIVE, ROOT + "/plugins/" + "x".repeat(120) + ".sock", "v1.DRAPlugin"),
            "longer than"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInput")
  void isRefusedWithAReasonAndNeverChangesAnyDriversWipe(
      String name, PluginInfo info, String reason) {
    List<String> stateChanges = new ArrayList<>();
    Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    PluginStore store =
        new PluginStore(
            new EventBus(),
            clock,
            List.of((driver, state, why) -> stateChanges.add(driver + " " + state)));
    store.register(
        LIVE, endpoint("live"), ROOT.resolve("plugins_registry/live.sock"), "v1.DRAPlugin", null);
    store.setConnection(LIVE, endpoint("live"), ConnectionState.CONNECTED);
    stateChanges.clear();

    Decision decision =
        new PluginValidator(ROOT, ROOT.resolve("plugins_registry"), ROOT.resolve("plugins"))
            .decide(info, SOCKET);

    assertThat(decision).isInstanceOf(Decision.Refuse.class);
    String refusal = ((Decision.Refuse) decision).reason();
    assertThat(refusal).contains(reason);
    // What the handler does with a refusal: record it, nothing else.
    store.reject(
        new Rejection(
            SOCKET, ((Decision.Refuse) decision).driver(), refusal, 1, clock.instant(), false));
    assertThat(stateChanges)
        .as("driver-state changes, which are what schedules or cancels wipes")
        .isEmpty();
    assertThat(Stores.usable(store, LIVE)).isTrue();
    assertThat(store.liveDrivers()).containsExactly(LIVE);
    assertThat(store.rejections()).singleElement().extracting(Rejection::reason).isEqualTo(refusal);
  }

  static String endpoint(String name) {
    return ROOT.resolve("plugins").resolve(name + ".sock").toString();
  }
}
