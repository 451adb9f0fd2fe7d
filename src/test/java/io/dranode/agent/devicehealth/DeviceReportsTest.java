package io.dranode.agent.devicehealth;

import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.testing.PluginHealth;
import io.dranode.agent.testing.PluginHealth.Device;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DeviceReportsTest {

  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

  private static DeviceReports.Batch v1(List<Device> devices) {
    return DeviceReports.of(PluginHealth.v1(devices), NOW);
  }

  @Test
  void capsTheNumberOfDevicesPerMessage() {
    List<Device> many = new ArrayList<>();
    IntStream.rangeClosed(0, DeviceReports.MAX_DEVICES)
        .forEach(i -> many.add(Device.healthy("d" + i)));

    DeviceReports.Batch batch = v1(many);

    assertThat(batch.reports()).hasSize(DeviceReports.MAX_DEVICES);
    assertThat(batch.dropped()).isEqualTo(1);
  }

  @Test
  void aDeviceListedTwiceKeepsItsLastReport() {
    DeviceReports.Batch batch =
        v1(List.of(Device.healthy("gpu-0"), Device.unhealthy("gpu-0", "now broken")));

    assertThat(batch.reports())
        .singleElement()
        .extracting(DeviceReport::health, DeviceReport::message)
        .containsExactly(Health.UNHEALTHY, "now broken");
  }

  @Test
  void messagesAreCutTo1024CharactersWithoutSplittingASurrogatePair() {
    assertThat(DeviceReports.truncate("x".repeat(1024))).isEqualTo("x".repeat(1024));
    assertThat(DeviceReports.truncate("x".repeat(1025))).isEqualTo("x".repeat(1021) + "...");
    String emoji = "x".repeat(1020) + "\uD83D\uDE00" + "tail";
    assertThat(DeviceReports.truncate(emoji)).isEqualTo("x".repeat(1020) + "...").hasSize(1023);
  }

  @ParameterizedTest(name = "wire value {0} is {1}")
  @CsvSource({"0, UNKNOWN", "1, HEALTHY", "2, UNHEALTHY", "3, UNKNOWN", "-1, UNKNOWN"})
  void healthFromTheWire(int wire, Health expected) {
    assertThat(DeviceReports.health(wire)).isEqualTo(expected);
  }

  @Test
  void aTimestampFromTheFutureOrMissingCountsAsTheReceipt() {
    long past = NOW.minusSeconds(5).getEpochSecond();
    DeviceReports.Batch batch =
        v1(
            List.of(
                new Device("p", "future", 1, NOW.getEpochSecond() + 3600, 0, ""),
                new Device("p", "missing", 1, 0, 0, ""),
                new Device("p", "past", 1, past, 0, "")));

    assertThat(batch.reports())
        .extracting(DeviceReport::refreshedAt)
        .containsExactly(NOW, NOW, Instant.ofEpochSecond(past));
  }

  @Test
  void staleAfterItsOwnTimeoutOrTheDefault() {
    DeviceReport own = new DeviceReport("p", "d", Health.HEALTHY, NOW, 10, "");
    DeviceReport fallback = new DeviceReport("p", "d", Health.UNHEALTHY, NOW, 0, "");
    DeviceReport forever = new DeviceReport("p", "d", Health.HEALTHY, NOW, Long.MAX_VALUE, "");
    Duration defaults = Duration.ofSeconds(30);

    assertThat(own.healthAt(NOW.plusSeconds(10), defaults)).isEqualTo(Health.HEALTHY);
    assertThat(own.healthAt(NOW.plusSeconds(11), defaults)).isEqualTo(Health.UNKNOWN);
    assertThat(fallback.healthAt(NOW.plusSeconds(30), defaults)).isEqualTo(Health.UNHEALTHY);
    assertThat(fallback.healthAt(NOW.plusSeconds(31), defaults)).isEqualTo(Health.UNKNOWN);
    assertThat(forever.healthAt(NOW.plus(Duration.ofDays(36500)), defaults))
        .isEqualTo(Health.HEALTHY);
  }

  @Test
  void v1alpha1ReadsTheSameAsV1() {
    List<Device> devices = List.of(new Device("pool", "gpu-0", 2, NOW.getEpochSecond(), 7, "hot"));

    assertThat(DeviceReports.of(PluginHealth.v1alpha1(devices), NOW)).isEqualTo(v1(devices));
  }
}
