package io.dranode.agent.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

import com.jayway.jsonpath.JsonPath;
import io.dranode.agent.cleanup.PendingWipe;
import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.cleanup.SweepExemptions;
import io.dranode.agent.cleanup.WipeCause;
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.condition.DriverConditions;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.devicehealth.Health;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.IgnoredSocket;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.quarantine.Quarantines;
import io.dranode.agent.view.AgentViews;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;

/**
 * {@code GET /api/v1/plugins} reuses the JSON it wrote last while the view is unchanged ({@link
 * PluginsJsonConverter}): every kind of change must show in the very next GET, and an unchanged
 * view must give the same bytes.
 */
@Import({AgentViews.class, SweepExemptions.class})
@WebMvcTest(
    controllers = PluginsController.class,
    properties = {"dra.agent.node-name=worker", "dra.agent.mode=registrar"})
class PluginsViewFreshnessTest {

  private static final Instant NOW = Instant.parse("2026-11-27T10:15:30Z");
  private static final String DRIVER = "gpu.example.com";
  private static final String ENDPOINT = "/var/lib/kubelet/plugins/gpu.example.com/dra.sock";
  private static final Path REG = Path.of("/var/lib/kubelet/plugins_registry/gpu.sock");
  private static final Path BAD = Path.of("/var/lib/kubelet/plugins_registry/bad.sock");
  private static final Path CSI = Path.of("/var/lib/kubelet/plugins_registry/csi.sock");

  @TestConfiguration
  @EnableConfigurationProperties(AgentProperties.class)
  static class StoreConfig {
    @Bean
    PluginStore pluginStore() {
      return new PluginStore(new EventBus(), Clock.fixed(NOW, ZoneOffset.UTC), List.of());
    }
  }

  @Autowired MockMvc mvc;
  @Autowired PluginStore store;
  @MockitoBean PendingWipes wipes;
  @MockitoBean DeviceHealthMonitor deviceHealth;
  @MockitoBean WipeHistory history;
  @MockitoBean DriverConditions conditions;
  @MockitoBean Quarantines quarantines;
  @MockitoBean SliceInventory inventory;

  @Test
  void everyChangeShowsInTheNextGet() throws Exception {
    when(wipes.pendingFor(DRIVER)).thenReturn(Optional.empty());
    when(deviceHealth.summary(DRIVER)).thenReturn(Map.of());
    String empty = plugins();
    assertThat(read(empty, "$.drivers.length()")).isEqualTo(0);
    assertThat(plugins()).as("unchanged view, same JSON").isEqualTo(empty);

    store.register(DRIVER, ENDPOINT, REG, "v1.DRAPlugin", null);
    String registered = plugins();
    assertThat(read(registered, "$.drivers[0].driver")).isEqualTo(DRIVER);
    assertThat(read(registered, "$.drivers[0].instances[0].connection")).isEqualTo("CONNECTING");
    assertThat(read(registered, "$.drivers[0].usable")).isEqualTo(false);

    store.setConnection(DRIVER, ENDPOINT, ConnectionState.CONNECTED);
    String connected = plugins();
    assertThat(read(connected, "$.drivers[0].usable")).isEqualTo(true);
    assertThat(read(connected, "$.drivers[0].instances[0].connection")).isEqualTo("CONNECTED");

    when(deviceHealth.summary(DRIVER))
        .thenReturn(Map.of(Health.HEALTHY, 3, Health.UNHEALTHY, 0, Health.UNKNOWN, 0));
    assertThat(read(plugins(), "$.drivers[0].deviceHealth.HEALTHY")).isEqualTo(3);
    when(deviceHealth.summary(DRIVER))
        .thenReturn(Map.of(Health.HEALTHY, 2, Health.UNHEALTHY, 1, Health.UNKNOWN, 0));
    String unhealthy = plugins();
    assertThat(read(unhealthy, "$.drivers[0].deviceHealth.HEALTHY")).isEqualTo(2);
    assertThat(read(unhealthy, "$.drivers[0].deviceHealth.UNHEALTHY")).isEqualTo(1);

    store.setConnection(DRIVER, ENDPOINT, ConnectionState.DISCONNECTED);
    assertThat(read(plugins(), "$.drivers[0].usable")).isEqualTo(false);

    Instant due = NOW.plusSeconds(30);
    when(wipes.pendingFor(DRIVER))
        .thenReturn(
            Optional.of(
                new PendingWipe(DRIVER, WipeCause.DRIVER_UNUSABLE, due, "disconnected", 0, null)));
    String pending = plugins();
    assertThat(read(pending, "$.drivers[0].pendingWipe.dueAt")).isEqualTo(due.toString());
    assertThat(read(pending, "$.drivers[0].pendingWipe.reason")).isEqualTo("disconnected");

    when(wipes.pendingFor(DRIVER)).thenReturn(Optional.empty());
    assertThat(read(plugins(), "$.drivers[0].pendingWipe")).isNull();

    store.deregister(DRIVER, ENDPOINT, "socket removed");
    assertThat(read(plugins(), "$.drivers.length()")).isEqualTo(0);

    store.reject(new Rejection(BAD, "evil.example.com", "outside the kubelet root", 1, NOW, true));
    assertThat(read(plugins(), "$.rejected[0].driver")).isEqualTo("evil.example.com");
    store.ignore(new IgnoredSocket(CSI, "CSIPlugin", "csi.example.com"));
    assertThat(read(plugins(), "$.ignored[0].name")).isEqualTo("csi.example.com");
    store.forgetSocket(BAD);
    store.forgetSocket(CSI);
    assertThat(plugins()).as("back to the first view").isEqualTo(empty);
  }

  @Test
  void theBodyIsSentWithItsLength() throws Exception {
    MvcResult result = mvc.perform(get("/api/v1/plugins")).andReturn();
    byte[] body = result.getResponse().getContentAsByteArray();
    assertThat(result.getResponse().getStatus()).isEqualTo(200);
    assertThat(result.getResponse().getContentType()).isEqualTo("application/json");
    assertThat(result.getResponse().getHeader("Content-Length"))
        .isEqualTo(String.valueOf(body.length));
  }

  private String plugins() throws Exception {
    MvcResult result = mvc.perform(get("/api/v1/plugins")).andReturn();
    assertThat(result.getResponse().getStatus()).isEqualTo(200);
    return result.getResponse().getContentAsString(StandardCharsets.UTF_8);
  }

  private static Object read(String json, String path) {
    return JsonPath.read(json, path);
  }
}
