package io.dranode.agent.devicehealth;

import static io.dranode.agent.testing.PluginHealth.Device.healthy;
import static io.dranode.agent.testing.PluginHealth.Device.unhealthy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.testing.FakePlugin;
import io.dranode.agent.testing.PluginHealth.Device;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs(OS.LINUX)
class DeviceHealthMonitorTest {

  private static final String DRIVER = "gpu.example.com";
  private static final String V1 = "v1.DRAResourceHealth";
  private static final String V1ALPHA1 = "v1alpha1.DRAResourceHealth";

  /** Several retry intervals: long enough for a wrong retry or stream to show up. */
  private static final Duration QUIET = HealthHarness.RETRY.multipliedBy(5);

  private HealthHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new HealthHarness();
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  private int count(String driver, Health health) {
    return Objects.requireNonNullElse(h.monitor.summary(driver).get(health), -1);
  }

  private List<String> names(String driver) {
    return h.monitor.devices(driver).stream().map(DeviceHealthEntry::device).toList();
  }

  @Test
  void streamsAndEachMessageReplacesTheWholeList() throws Exception {
    FakePlugin plugin = h.plugin("a", true, false);
    plugin.health().publish(List.of(healthy("gpu-1"), healthy("gpu-0")));
    h.register(DRIVER, plugin, V1);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> names(DRIVER).equals(List.of("gpu-0", "gpu-1")));
    DeviceHealthEntry first = h.monitor.devices().get(0);
    assertThat(first)
        .isEqualTo(
            new DeviceHealthEntry(DRIVER, "pool", "gpu-0", Health.HEALTHY, h.clock.instant(), ""));

    plugin.health().publish(List.of(healthy("gpu-2")));
    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).equals(List.of("gpu-2")));
    assertThat(plugin.health().v1Calls()).isEqualTo(1);
  }

  @Test
  void aDeviceSwitchedUnhealthyShowsUpInDevicesAndSummary() throws Exception {
    FakePlugin plugin = h.plugin("a", true, false);
    plugin.health().publish(List.of(healthy("gpu-0"), healthy("gpu-1")));
    h.register(DRIVER, plugin, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).size() == 2);

    plugin.health().publish(List.of(healthy("gpu-0"), unhealthy("gpu-1", "ECC errors")));

    await().atMost(Duration.ofSeconds(10)).until(() -> count(DRIVER, Health.UNHEALTHY) == 1);
    assertThat(h.monitor.devices(DRIVER).get(1))
        .extracting(DeviceHealthEntry::health, DeviceHealthEntry::message)
        .containsExactly(Health.UNHEALTHY, "ECC errors");
    assertThat(h.monitor.summary(DRIVER))
        .containsExactly(
            Map.entry(Health.HEALTHY, 1),
            Map.entry(Health.UNHEALTHY, 1),
            Map.entry(Health.UNKNOWN, 0));
    assertThat(h.monitor.summaries()).containsOnlyKeys(DRIVER);
    assertThat(h.monitor.summary("unknown.example.com")).containsValues(0, 0, 0).hasSize(3);
  }

  @Test
  void aFailedStreamIsRetriedAfterTheInterval() throws Exception {
    FakePlugin plugin = h.plugin("a", true, false);
    plugin.health().failNext(2);
    plugin.health().publish(List.of(healthy("gpu-0")));
    h.register(DRIVER, plugin, V1);

    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).equals(List.of("gpu-0")));
    assertThat(plugin.health().v1Calls()).isEqualTo(3);

    // A stream that breaks later is re-opened as well, and the list survives meanwhile.
    plugin.health().failOpenStreams(Status.INTERNAL);
    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.health().v1Calls() == 4);
    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.health().openStreams() == 1);
    assertThat(names(DRIVER)).containsExactly("gpu-0");
  }

  @Test
  void unimplementedEndsTheStreamForGood() throws Exception {
    FakePlugin plugin = h.plugin("a", true, false);
    plugin.health().answerUnimplemented();
    h.register(DRIVER, plugin, V1);

    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.health().v1Calls() == 1);
    await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> plugin.health().v1Calls() == 1);

    // Becoming connected again does not revive it either.
    h.store.setConnection(
        DRIVER, plugin.socket().toString(), io.dranode.agent.plugin.ConnectionState.DISCONNECTED);
    h.store.setConnection(
        DRIVER, plugin.socket().toString(), io.dranode.agent.plugin.ConnectionState.CONNECTED);
    await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> plugin.health().v1Calls() == 1);
  }

  @Test
  void aTemporaryErrorKeepsRetryingWhereUnimplementedWouldStop() throws Exception {
    FakePlugin plugin = h.plugin("a", true, false);
    plugin.health().failNext(Integer.MAX_VALUE);
    h.register(DRIVER, plugin, V1);

    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.health().v1Calls() >= 3);
  }

  @Test
  void v1IsUsedWhenAdvertisedAndV1alpha1Otherwise() throws Exception {
    FakePlugin both = h.plugin("both", true, true);
    both.health().publish(List.of(healthy("gpu-0")));
    h.register(DRIVER, both, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).size() == 1);
    assertThat(both.health().v1Calls()).isEqualTo(1);
    assertThat(both.health().v1alpha1Calls()).isEqualTo(0);

    FakePlugin alpha = h.plugin("alpha", false, true);
    alpha.health().publish(List.of(unhealthy("tpu-0", "hot")));
    h.register("tpu.example.com", alpha, V1ALPHA1);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("tpu.example.com", Health.UNHEALTHY) == 1);
    assertThat(alpha.health().v1alpha1Calls()).isEqualTo(1);
    assertThat(alpha.health().v1Calls()).isEqualTo(0);
  }

  @Test
  void aNewerAdvertisingInstanceTakesTheStreamOver() throws Exception {
    FakePlugin old = h.plugin("old", true, false);
    old.health().publish(List.of(healthy("gpu-0")));
    h.register(DRIVER, old, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> old.health().openStreams() == 1);

    FakePlugin next = h.plugin("new", true, false);
    next.health().publish(List.of(healthy("gpu-0"), healthy("gpu-1")));
    h.register(DRIVER, next, V1);

    await().atMost(Duration.ofSeconds(10)).until(() -> old.health().cancelled() == 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).size() == 2);
    assertThat(next.health().v1Calls()).isEqualTo(1);

    // Removing the older instance does not touch the active stream.
    h.deregister(DRIVER, old);
    await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> next.health().cancelled() == 0);
    assertThat(next.health().v1Calls()).isEqualTo(1);
    assertThat(old.health().v1Calls()).isEqualTo(1);
  }

  @Test
  void theNewestInstanceWithoutHealthMeansNoStreamAndNoFallback() throws Exception {
    FakePlugin old = h.plugin("old", true, false);
    h.register(DRIVER, old, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> old.health().openStreams() == 1);

    FakePlugin next = h.plugin("new", true, false); // serves it, does not advertise it
    h.register(DRIVER, next, null);

    await().atMost(Duration.ofSeconds(10)).until(() -> old.health().cancelled() == 1);
    await()
        .during(QUIET)
        .atMost(QUIET.plusSeconds(5))
        .until(() -> next.health().v1Calls() == 0 && old.health().v1Calls() == 1);
  }

  @Test
  void deregisteringTheLastInstanceClosesTheStreamAndDropsTheDevices() throws Exception {
    FakePlugin plugin = h.plugin("a", true, false);
    plugin.health().publish(List.of(healthy("gpu-0")));
    h.register(DRIVER, plugin, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).size() == 1);

    h.deregister(DRIVER, plugin);

    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.health().cancelled() == 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> h.monitor.devices().isEmpty());
    assertThat(h.monitor.summaries()).isEmpty();
  }

  @Test
  void stoppingTheMonitorCancelsItsStreamsBeforeTheChannelsClose() throws Exception {
    FakePlugin plugin = h.plugin("a", true, false);
    h.register(DRIVER, plugin, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.health().openStreams() == 1);

    h.stopMonitor();

    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.health().cancelled() == 1);
    assertThat(h.monitor.isRunning()).isFalse();
    // Later store changes are ignored: no new stream.
    FakePlugin next = h.plugin("b", true, false);
    h.register(DRIVER, next, V1);
    await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> next.health().v1Calls() == 0);
  }

  @Test
  void aDeviceNotRefreshedWithinItsTimeoutIsUnknown() throws Exception {
    FakePlugin plugin = h.plugin("a", true, false);
    long now = h.clock.instant().getEpochSecond();
    plugin
        .health()
        .publish(
            List.of(
                new Device("pool", "short", 1, now, 10, ""),
                new Device("pool", "default", 2, now, 0, "broken")));
    h.register(DRIVER, plugin, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).size() == 2);

    h.clock.advance(Duration.ofSeconds(10));
    assertThat(h.monitor.devices(DRIVER))
        .extracting(DeviceHealthEntry::health)
        .containsExactly(Health.UNHEALTHY, Health.HEALTHY);

    h.clock.advance(Duration.ofSeconds(1));
    assertThat(h.monitor.devices(DRIVER))
        .extracting(DeviceHealthEntry::health)
        .containsExactly(Health.UNHEALTHY, Health.UNKNOWN);

    h.clock.advance(Duration.ofSeconds(20)); // 31 s: past the 30 s default as well
    assertThat(h.monitor.summary(DRIVER)).containsEntry(Health.UNKNOWN, 2);
    assertThat(h.monitor.devices(DRIVER).get(0).lastUpdated())
        .isEqualTo(Instant.ofEpochSecond(now));

    // A fresh report makes them known again.
    plugin.health().publish(List.of(new Device("pool", "short", 1, 0, 10, "")));
    await().atMost(Duration.ofSeconds(10)).until(() -> count(DRIVER, Health.HEALTHY) == 1);
  }

  @Test
  void badValuesFromOneDriverNeverHarmAnother() throws Exception {
    FakePlugin good = h.plugin("good", true, false);
    good.health().publish(List.of(healthy("gpu-0")));
    h.register(DRIVER, good, V1);

    FakePlugin bad = h.plugin("bad", true, false);
    bad.health()
        .publish(
            List.of(
                new Device("p", "", 1, 0, 0, "no name"),
                new Device("p", "future", 1, Long.MAX_VALUE, Long.MAX_VALUE, "x".repeat(5000)),
                new Device("p", "past", 7, Long.MIN_VALUE, -5, ""),
                new Device("p", "n".repeat(300), 1, 0, 0, "")));
    h.register("bad.example.com", bad, V1);

    await().atMost(Duration.ofSeconds(10)).until(() -> h.monitor.devices().size() == 3);
    List<DeviceHealthEntry> badOnes = h.monitor.devices("bad.example.com");
    assertThat(badOnes).extracting(DeviceHealthEntry::device).containsExactly("future", "past");
    assertThat(badOnes.get(0).lastUpdated()).isEqualTo(h.clock.instant());
    assertThat(badOnes.get(0).message()).hasSize(1024).endsWith("...");
    assertThat(badOnes.get(0).health()).isEqualTo(Health.HEALTHY);
    assertThat(badOnes.get(1).health()).isEqualTo(Health.UNKNOWN);
    assertThat(names(DRIVER)).containsExactly("gpu-0");
  }
}
