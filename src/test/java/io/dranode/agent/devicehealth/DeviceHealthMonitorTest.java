package io.dranode.agent.devicehealth;

import static io.dranode.agent.devicehealth.FakeHealthPlugin.Device.healthy;
import static io.dranode.agent.devicehealth.FakeHealthPlugin.Device.unhealthy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
    FakeHealthPlugin plugin = h.plugin("a", true, false);
    plugin.publish(List.of(healthy("gpu-1"), healthy("gpu-0")));
    h.register(DRIVER, plugin, V1);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> names(DRIVER).equals(List.of("gpu-0", "gpu-1")));
    DeviceHealthEntry first = h.monitor.devices().get(0);
    assertThat(first)
        .isEqualTo(
            new DeviceHealthEntry(DRIVER, "pool", "gpu-0", Health.HEALTHY, h.clock.instant(), ""));

    plugin.publish(List.of(healthy("gpu-2")));
    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).equals(List.of("gpu-2")));
    assertThat(plugin.v1Calls).hasValue(1);
  }

  @Test
  void aDeviceSwitchedUnhealthyShowsUpInDevicesAndSummary() throws Exception {
    FakeHealthPlugin plugin = h.plugin("a", true, false);
    plugin.publish(List.of(healthy("gpu-0"), healthy("gpu-1")));
    h.register(DRIVER, plugin, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).size() == 2);

    plugin.publish(List.of(healthy("gpu-0"), unhealthy("gpu-1", "ECC errors")));

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
    FakeHealthPlugin plugin = h.plugin("a", true, false);
    plugin.failNext.set(2);
    plugin.publish(List.of(healthy("gpu-0")));
    h.register(DRIVER, plugin, V1);

    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).equals(List.of("gpu-0")));
    assertThat(plugin.v1Calls).hasValue(3);

    // A stream that breaks later is re-opened as well, and the list survives meanwhile.
    plugin.failOpenStreams(Status.INTERNAL);
    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.v1Calls.get() == 4);
    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.openStreams() == 1);
    assertThat(names(DRIVER)).containsExactly("gpu-0");
  }

  @Test
  void unimplementedEndsTheStreamForGood() throws Exception {
    FakeHealthPlugin plugin = h.plugin("a", true, false);
    plugin.unimplemented = true;
    h.register(DRIVER, plugin, V1);

    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.v1Calls.get() == 1);
    await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> plugin.v1Calls.get() == 1);

    // Becoming connected again does not revive it either.
    h.store.setConnection(
        DRIVER, plugin.socket.toString(), io.dranode.agent.plugin.ConnectionState.DISCONNECTED);
    h.store.setConnection(
        DRIVER, plugin.socket.toString(), io.dranode.agent.plugin.ConnectionState.CONNECTED);
    await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> plugin.v1Calls.get() == 1);
  }

  @Test
  void aTemporaryErrorKeepsRetryingWhereUnimplementedWouldStop() throws Exception {
    FakeHealthPlugin plugin = h.plugin("a", true, false);
    plugin.failNext.set(Integer.MAX_VALUE);
    h.register(DRIVER, plugin, V1);

    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.v1Calls.get() >= 3);
  }

  @Test
  void v1IsUsedWhenAdvertisedAndV1alpha1Otherwise() throws Exception {
    FakeHealthPlugin both = h.plugin("both", true, true);
    both.publish(List.of(healthy("gpu-0")));
    h.register(DRIVER, both, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).size() == 1);
    assertThat(both.v1Calls).hasValue(1);
    assertThat(both.v1alpha1Calls).hasValue(0);

    FakeHealthPlugin alpha = h.plugin("alpha", false, true);
    alpha.publish(List.of(unhealthy("tpu-0", "hot")));
    h.register("tpu.example.com", alpha, V1ALPHA1);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("tpu.example.com", Health.UNHEALTHY) == 1);
    assertThat(alpha.v1alpha1Calls).hasValue(1);
    assertThat(alpha.v1Calls).hasValue(0);
  }

  @Test
  void aNewerAdvertisingInstanceTakesTheStreamOver() throws Exception {
    FakeHealthPlugin old = h.plugin("old", true, false);
    old.publish(List.of(healthy("gpu-0")));
    h.register(DRIVER, old, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> old.openStreams() == 1);

    FakeHealthPlugin next = h.plugin("new", true, false);
    next.publish(List.of(healthy("gpu-0"), healthy("gpu-1")));
    h.register(DRIVER, next, V1);

    await().atMost(Duration.ofSeconds(10)).until(() -> old.cancelled.get() == 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).size() == 2);
    assertThat(next.v1Calls).hasValue(1);

    // Removing the older instance does not touch the active stream.
    h.deregister(DRIVER, old);
    await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> next.cancelled.get() == 0);
    assertThat(next.v1Calls).hasValue(1);
    assertThat(old.v1Calls).hasValue(1);
  }

  @Test
  void theNewestInstanceWithoutHealthMeansNoStreamAndNoFallback() throws Exception {
    FakeHealthPlugin old = h.plugin("old", true, false);
    h.register(DRIVER, old, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> old.openStreams() == 1);

    FakeHealthPlugin next = h.plugin("new", true, false); // serves it, does not advertise it
    h.register(DRIVER, next, null);

    await().atMost(Duration.ofSeconds(10)).until(() -> old.cancelled.get() == 1);
    await()
        .during(QUIET)
        .atMost(QUIET.plusSeconds(5))
        .until(() -> next.v1Calls.get() == 0 && old.v1Calls.get() == 1);
  }

  @Test
  void deregisteringTheLastInstanceClosesTheStreamAndDropsTheDevices() throws Exception {
    FakeHealthPlugin plugin = h.plugin("a", true, false);
    plugin.publish(List.of(healthy("gpu-0")));
    h.register(DRIVER, plugin, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> names(DRIVER).size() == 1);

    h.deregister(DRIVER, plugin);

    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.cancelled.get() == 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> h.monitor.devices().isEmpty());
    assertThat(h.monitor.summaries()).isEmpty();
  }

  @Test
  void stoppingTheMonitorCancelsItsStreamsBeforeTheChannelsClose() throws Exception {
    FakeHealthPlugin plugin = h.plugin("a", true, false);
    h.register(DRIVER, plugin, V1);
    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.openStreams() == 1);

    h.stopMonitor();

    await().atMost(Duration.ofSeconds(10)).until(() -> plugin.cancelled.get() == 1);
    assertThat(h.monitor.isRunning()).isFalse();
    // Later store changes are ignored: no new stream.
    FakeHealthPlugin next = h.plugin("b", true, false);
    h.register(DRIVER, next, V1);
    await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> next.v1Calls.get() == 0);
  }

  @Test
  void aDeviceNotRefreshedWithinItsTimeoutIsUnknown() throws Exception {
    FakeHealthPlugin plugin = h.plugin("a", true, false);
    long now = h.clock.instant().getEpochSecond();
    plugin.publish(
        List.of(
            new FakeHealthPlugin.Device("pool", "short", 1, now, 10, ""),
            new FakeHealthPlugin.Device("pool", "default", 2, now, 0, "broken")));
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
    plugin.publish(List.of(new FakeHealthPlugin.Device("pool", "short", 1, 0, 10, "")));
    await().atMost(Duration.ofSeconds(10)).until(() -> count(DRIVER, Health.HEALTHY) == 1);
  }

  @Test
  void badValuesFromOneDriverNeverHarmAnother() throws Exception {
    FakeHealthPlugin good = h.plugin("good", true, false);
    good.publish(List.of(healthy("gpu-0")));
    h.register(DRIVER, good, V1);

    FakeHealthPlugin bad = h.plugin("bad", true, false);
    bad.publish(
        List.of(
            new FakeHealthPlugin.Device("p", "", 1, 0, 0, "no name"),
            new FakeHealthPlugin.Device(
                "p", "future", 1, Long.MAX_VALUE, Long.MAX_VALUE, "x".repeat(5000)),
            new FakeHealthPlugin.Device("p", "past", 7, Long.MIN_VALUE, -5, ""),
            new FakeHealthPlugin.Device("p", "n".repeat(300), 1, 0, 0, "")));
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
