package io.dranode.agent.condition;

import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.devicehealth.DeviceHealthEntry;
import io.dranode.agent.devicehealth.DriverHealth;
import io.dranode.agent.devicehealth.Health;
import io.dranode.agent.devicehealth.HealthSupport;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.Rejection;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The rules as a table: a driver's state × its slices × its device health → its four conditions,
 * each as "Status Reason". The grace period of {@code SlicesPublished} and the bounds of the
 * messages have their own cases below.
 */
class ConditionRulesTest {

  static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  static final Duration GRACE = Duration.ofMinutes(2);
  static final String ENDPOINT = "/var/lib/kubelet/plugins/gpu.example.com/dra.sock";

  @ParameterizedTest(name = "{0}, slices {1}, health {2}")
  @CsvSource({
    "connecting  , notSynced, none     , True InstanceRegistered , Unknown Connecting   , Unknown SlicesNotSynced     , Unknown HealthNotSupported",
    "connecting  , notSynced, healthy  , True InstanceRegistered , Unknown Connecting   , Unknown SlicesNotSynced     , True AllDevicesHealthy",
    "connecting  , notSynced, unhealthy, True InstanceRegistered , Unknown Connecting   , Unknown SlicesNotSynced     , False DevicesUnhealthy",
    "connecting  , notSynced, timedOut , True InstanceRegistered , Unknown Connecting   , Unknown SlicesNotSynced     , Unknown HealthUnknown",
    "connecting  , none     , none     , True InstanceRegistered , Unknown Connecting   , Unknown SlicesNotSynced     , Unknown HealthNotSupported",
    "connecting  , none     , healthy  , True InstanceRegistered , Unknown Connecting   , Unknown SlicesNotSynced     , True AllDevicesHealthy",
    "connecting  , none     , unhealthy, True InstanceRegistered , Unknown Connecting   , Unknown SlicesNotSynced     , False DevicesUnhealthy",
    "connecting  , none     , timedOut , True InstanceRegistered , Unknown Connecting   , Unknown SlicesNotSynced     , Unknown HealthUnknown",
    "connecting  , some     , none     , True InstanceRegistered , Unknown Connecting   , True ResourceSlicesPublished, Unknown HealthNotSupported",
    "connecting  , some     , healthy  , True InstanceRegistered , Unknown Connecting   , True ResourceSlicesPublished, True AllDevicesHealthy",
    "connecting  , some     , unhealthy, True InstanceRegistered , Unknown Connecting   , True ResourceSlicesPublished, False DevicesUnhealthy",
    "connecting  , some     , timedOut , True InstanceRegistered , Unknown Connecting   , True ResourceSlicesPublished, Unknown HealthUnknown",
    "connected   , notSynced, none     , True InstanceRegistered , True InstanceConnected, Unknown SlicesNotSynced     , Unknown HealthNotSupported",
    "connected   , notSynced, healthy  , True InstanceRegistered , True InstanceConnected, Unknown SlicesNotSynced     , True AllDevicesHealthy",
    "connected   , notSynced, unhealthy, True InstanceRegistered , True InstanceConnected, Unknown SlicesNotSynced     , False DevicesUnhealthy",
    "connected   , notSynced, timedOut , True InstanceRegistered , True InstanceConnected, Unknown SlicesNotSynced     , Unknown HealthUnknown",
    "connected   , none     , none     , True InstanceRegistered , True InstanceConnected, Unknown SlicesNotSynced     , Unknown HealthNotSupported",
    "connected   , none     , healthy  , True InstanceRegistered , True InstanceConnected, Unknown SlicesNotSynced     , True AllDevicesHealthy",
    "connected   , none     , unhealthy, True InstanceRegistered , True InstanceConnected, Unknown SlicesNotSynced     , False DevicesUnhealthy",
    "connected   , none     , timedOut , True InstanceRegistered , True InstanceConnected, Unknown SlicesNotSynced     , Unknown HealthUnknown",
    "connected   , some     , none     , True InstanceRegistered , True InstanceConnected, True ResourceSlicesPublished, Unknown HealthNotSupported",
    "connected   , some     , healthy  , True InstanceRegistered , True InstanceConnected, True ResourceSlicesPublished, True AllDevicesHealthy",
    "connected   , some     , unhealthy, True InstanceRegistered , True InstanceConnected, True ResourceSlicesPublished, False DevicesUnhealthy",
    "connected   , some     , timedOut , True InstanceRegistered , True InstanceConnected, True ResourceSlicesPublished, Unknown HealthUnknown",
    "disconnected, notSynced, none     , True InstanceRegistered , False Disconnected   , Unknown SlicesNotSynced     , Unknown HealthNotSupported",
    "disconnected, notSynced, healthy  , True InstanceRegistered , False Disconnected   , Unknown SlicesNotSynced     , True AllDevicesHealthy",
    "disconnected, notSynced, unhealthy, True InstanceRegistered , False Disconnected   , Unknown SlicesNotSynced     , False DevicesUnhealthy",
    "disconnected, notSynced, timedOut , True InstanceRegistered , False Disconnected   , Unknown SlicesNotSynced     , Unknown HealthUnknown",
    "disconnected, none     , none     , True InstanceRegistered , False Disconnected   , Unknown SlicesNotSynced     , Unknown HealthNotSupported",
    "disconnected, none     , healthy  , True InstanceRegistered , False Disconnected   , Unknown SlicesNotSynced     , True AllDevicesHealthy",
    "disconnected, none     , unhealthy, True InstanceRegistered , False Disconnected   , Unknown SlicesNotSynced     , False DevicesUnhealthy",
    "disconnected, none     , timedOut , True InstanceRegistered , False Disconnected   , Unknown SlicesNotSynced     , Unknown HealthUnknown",
    "disconnected, some     , none     , True InstanceRegistered , False Disconnected   , True ResourceSlicesPublished, Unknown HealthNotSupported",
    "disconnected, some     , healthy  , True InstanceRegistered , False Disconnected   , True ResourceSlicesPublished, True AllDevicesHealthy",
    "disconnected, some     , unhealthy, True InstanceRegistered , False Disconnected   , True ResourceSlicesPublished, False DevicesUnhealthy",
    "disconnected, some     , timedOut , True InstanceRegistered , False Disconnected   , True ResourceSlicesPublished, Unknown HealthUnknown",
    "refused     , notSynced, none     , False Rejected          , False Disconnected   , Unknown SlicesNotSynced     , Unknown HealthUnknown",
    "refused     , none     , none     , False Rejected          , False Disconnected   , Unknown SlicesNotSynced     , Unknown HealthUnknown",
    "refused     , some     , none     , False Rejected          , False Disconnected   , True ResourceSlicesPublished, Unknown HealthUnknown",
    "gone        , notSynced, none     , False NoInstance        , False Disconnected   , Unknown SlicesNotSynced     , Unknown HealthUnknown",
    "gone        , none     , none     , False NoInstance        , False Disconnected   , Unknown SlicesNotSynced     , Unknown HealthUnknown",
    "gone        , some     , none     , False NoInstance        , False Disconnected   , True ResourceSlicesPublished, Unknown HealthUnknown"
  })
  void theConditionsOfEachState(
      String state,
      String slices,
      String health,
      String registered,
      String connected,
      String slicesPublished,
      String devicesHealthy) {
    DriverFacts facts = facts(state, slices, health, null);

    List<ConditionRules.Verdict> verdicts = ConditionRules.evaluate(facts, NOW, GRACE).verdicts();

    assertThat(verdicts)
        .extracting(v -> v.status().wireName() + " " + v.reason())
        .containsExactly(registered, connected, slicesPublished, devicesHealthy);
    assertThat(verdicts)
        .extracting(ConditionRules.Verdict::type)
        .containsExactlyElementsOf(Conditions.TYPES);
  }

  /** A usable driver without slices: Unknown within the grace, False from its end on. */
  @Test
  void noSlicesTurnsFalseOnlyOnceTheGracePeriodHasPassed() {
    Instant since = NOW.minus(GRACE).plusSeconds(1);
    ConditionRules.Evaluation within =
        ConditionRules.evaluate(facts("connected", "none", "healthy", since), NOW, GRACE);
    assertThat(within.verdicts().get(2).status()).isEqualTo(ConditionStatus.UNKNOWN);
    assertThat(within.verdicts().get(2).message()).contains("(usable for less than 2m)");
    assertThat(within.recheckAt()).isEqualTo(since.plus(GRACE));

    ConditionRules.Verdict after =
        ConditionRules.evaluate(facts("connected", "none", "healthy", NOW.minus(GRACE)), NOW, GRACE)
            .verdicts()
            .get(2);
    assertThat(after.status()).isEqualTo(ConditionStatus.FALSE);
    assertThat(after.reason()).isEqualTo(Conditions.NO_RESOURCE_SLICES);
    assertThat(after.message())
        .startsWith("usable for more than 2m but no ResourceSlice on this node");
  }

  @Test
  void aHealthyReportIsRecheckedWhenItWouldTimeOut() {
    ConditionRules.Evaluation evaluation =
        ConditionRules.evaluate(facts("connected", "some", "healthy", null), NOW, GRACE);

    assertThat(evaluation.recheckAt()).isEqualTo(NOW.plusSeconds(30));
  }

  @Test
  void unhealthyDevicesAreNamedUpToFiveWithTheCount() {
    List<DeviceHealthEntry> devices = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      devices.add(entry("dev-" + i, Health.UNHEALTHY));
    }
    devices.add(entry("dev-8", Health.HEALTHY));
    DriverHealth health =
        new DriverHealth(HealthSupport.STREAMING, true, devices, NOW.plusSeconds(30));

    ConditionRules.Verdict verdict = ConditionRules.devicesHealthy(health, new ArrayList<>());

    assertThat(verdict.message())
        .isEqualTo(
            "8 of 9 devices unhealthy: pool/dev-0, pool/dev-1, pool/dev-2, pool/dev-3,"
                + " pool/dev-4 and 3 more");
  }

  /** What a plugin sent is shown cleaned, and no message exceeds its bound. */
  @Test
  void messagesAreBoundedAndCleanWhateverThePluginSent() {
    String hostile = "bad\u001b[31m\n\u202e" + "x".repeat(64 * 1024) + "\uD83D";
    DriverFacts refused =
        new DriverFacts(
            "gpu.example.com",
            List.of(),
            List.of(),
            new Rejection(Path.of("/r.sock"), "gpu.example.com", hostile, 1, NOW, false),
            null,
            true,
            0,
            null,
            new DriverHealth(HealthSupport.NO_INSTANCE, false, List.of(), null));
    List<DeviceHealthEntry> devices =
        List.of(entry("\u0000" + "y".repeat(70_000), Health.UNHEALTHY));

    ConditionRules.Verdict registered = ConditionRules.registered(refused);
    ConditionRules.Verdict unhealthy =
        ConditionRules.devicesHealthy(
            new DriverHealth(HealthSupport.STREAMING, true, devices, null), new ArrayList<>());

    for (ConditionRules.Verdict verdict : List.of(registered, unhealthy)) {
      assertThat(verdict.message().getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
          .isLessThanOrEqualTo(Conditions.MESSAGE_MAX_BYTES);
      assertThat(verdict.message().chars()).noneMatch(c -> Character.isISOControl(c));
      assertThat(verdict.message()).doesNotContain("\u202e").contains("…");
    }
  }

  @Test
  void driversReadyNamesTheDriversThatAreNot() {
    Condition ok = new Condition(Conditions.CONNECTED, ConditionStatus.TRUE, "x", "", NOW);
    Condition slices =
        new Condition(Conditions.SLICES_PUBLISHED, ConditionStatus.TRUE, "x", "", NOW);
    Condition noSlices =
        new Condition(Conditions.SLICES_PUBLISHED, ConditionStatus.FALSE, "x", "", NOW);

    ConditionRules.Verdict ready =
        ConditionRules.driversReady(
            new java.util.TreeMap<>(
                java.util.Map.of(
                    "a.example.com", List.of(ok, slices), "b.example.com", List.of(ok, noSlices))));

    assertThat(ready.status()).isEqualTo(ConditionStatus.FALSE);
    assertThat(ready.reason()).isEqualTo(Conditions.DRIVERS_NOT_READY);
    assertThat(ready.message()).endsWith(": b.example.com");
    assertThat(ConditionRules.driversReady(java.util.Map.of()).status())
        .isEqualTo(ConditionStatus.TRUE);
  }

  // --- the table's columns as facts ---

  static DriverFacts facts(
      String state, String slices, String health, @Nullable Instant usableSince) {
    List<ConnectionState> connections =
        switch (state) {
          case "connecting" -> List.of(ConnectionState.CONNECTING);
          case "connected" -> List.of(ConnectionState.CONNECTED);
          case "disconnected" -> List.of(ConnectionState.DISCONNECTED);
          default -> List.of();
        };
    Rejection refusal =
        state.equals("refused")
            ? new Rejection(
                Path.of("/var/lib/kubelet/plugins_registry/gpu.sock"),
                "gpu.example.com",
                "DRA plugin endpoint \"/etc/x.sock\" is not inside the kubelet root folder",
                1,
                NOW,
                false)
            : null;
    Instant since = state.equals("connected") ? (usableSince == null ? NOW : usableSince) : null;
    return new DriverFacts(
        "gpu.example.com",
        connections,
        connections.stream().map(c -> ENDPOINT).toList(),
        refusal,
        state.equals("gone") ? "registration socket removed" : null,
        !slices.equals("notSynced"),
        slices.equals("some") ? 2 : 0,
        since,
        connections.isEmpty() ? noInstance() : health(health));
  }

  static DriverHealth noInstance() {
    return new DriverHealth(HealthSupport.NO_INSTANCE, false, List.of(), null);
  }

  static DriverHealth health(String column) {
    return switch (column) {
      case "none" -> new DriverHealth(HealthSupport.NOT_ADVERTISED, false, List.of(), null);
      case "healthy" ->
          new DriverHealth(
              HealthSupport.STREAMING,
              true,
              List.of(entry("gpu-0", Health.HEALTHY), entry("gpu-1", Health.HEALTHY)),
              NOW.plusSeconds(30));
      case "unhealthy" ->
          new DriverHealth(
              HealthSupport.STREAMING,
              true,
              List.of(entry("gpu-0", Health.HEALTHY), entry("gpu-1", Health.UNHEALTHY)),
              NOW.plusSeconds(30));
      case "timedOut" ->
          new DriverHealth(
              HealthSupport.STREAMING,
              true,
              List.of(entry("gpu-0", Health.UNKNOWN), entry("gpu-1", Health.UNKNOWN)),
              null);
      default -> throw new IllegalArgumentException(column);
    };
  }

  static DeviceHealthEntry entry(String device, Health health) {
    return new DeviceHealthEntry("gpu.example.com", "pool", device, health, NOW, "");
  }
}
