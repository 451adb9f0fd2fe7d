package io.dranode.agent.web;

import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.cleanup.SweepExemptions;
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.condition.DriverConditions;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.IgnoredSocket;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.quarantine.Quarantines;
import io.dranode.agent.view.AgentViews;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/** The JSON shape of {@code GET /api/v1/plugins}, read from a real store. */
@Import({AgentViews.class, SweepExemptions.class})
@WebMvcTest(
    controllers = PluginsController.class,
    properties = {"dra.agent.node-name=worker", "dra.agent.mode=observer"})
class PluginsControllerTest {

  private static final Instant NOW = Instant.parse("2026-11-27T10:15:30Z");
  private static final String OLD = "/var/lib/kubelet/plugins/gpu.example.com/old.sock";
  private static final String NEW = "/var/lib/kubelet/plugins/gpu.example.com/new.sock";
  private static final Path OLD_REG = Path.of("/var/lib/kubelet/plugins_registry/gpu-old.sock");
  private static final Path NEW_REG = Path.of("/var/lib/kubelet/plugins_registry/gpu-new.sock");
  private static final Path BAD_REG = Path.of("/var/lib/kubelet/plugins_registry/bad.sock");
  private static final String REASON =
      "DRA plugin endpoint \"/etc/evil.sock\" is not inside the kubelet root folder /var/lib/kubelet";
  private static final Path CSI_REG = Path.of("/var/lib/kubelet/plugins_registry/csi.sock");

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

  @AfterEach
  void emptyTheStore() {
    // The context, and so the store, is shared by the tests of this class.
    for (DriverView driver : store.drivers()) {
      for (PluginInstance instance : driver.instances()) {
        store.deregister(instance.driver(), instance.endpoint(), "test done");
      }
    }
    store.rejections().forEach(r -> store.forgetSocket(r.socket()));
    store.ignoredSockets().forEach(i -> store.forgetSocket(i.socket()));
  }

  @Test
  void anEmptyStore() throws Exception {
    mvc.perform(get("/api/v1/plugins"))
        .andExpect(status().isOk())
        .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_JSON))
        .andExpect(jsonPath("$.node").value("worker"))
        .andExpect(jsonPath("$.mode").value("observer"))
        .andExpect(jsonPath("$.drivers", hasSize(0)))
        .andExpect(jsonPath("$.rejected", hasSize(0)))
        .andExpect(jsonPath("$.ignored", hasSize(0)));
  }

  @Test
  void driversInstancesRejectionsAndIgnoredSockets() throws Exception {
    store.register("gpu.example.com", OLD, OLD_REG, "v1beta1.DRAPlugin", null);
    store.register("gpu.example.com", NEW, NEW_REG, "v1.DRAPlugin", "v1.DRAResourceHealth");
    store.setConnection("gpu.example.com", OLD, ConnectionState.CONNECTED);
    store.reject(new Rejection(BAD_REG, "evil.example.com", REASON, 1, NOW, false));
    store.ignore(new IgnoredSocket(CSI_REG, "CSIPlugin", "csi.example.com"));

    mvc.perform(get("/api/v1/plugins"))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$.node").value("worker"))
        .andExpect(jsonPath("$.mode").value("observer"))
        .andExpect(jsonPath("$.drivers", hasSize(1)))
        .andExpect(jsonPath("$.drivers[0].driver").value("gpu.example.com"))
        .andExpect(jsonPath("$.drivers[0].usable").value(true))
        // The connected older instance is in use while the newer one is still connecting.
        .andExpect(jsonPath("$.drivers[0].activeEndpoint").value(OLD))
        .andExpect(jsonPath("$.drivers[0].instances", hasSize(2)))
        .andExpect(jsonPath("$.drivers[0].instances[0].endpoint").value(OLD))
        .andExpect(jsonPath("$.drivers[0].instances[0].registrationSocket").value(path(OLD_REG)))
        .andExpect(jsonPath("$.drivers[0].instances[0].service").value("v1beta1.DRAPlugin"))
        .andExpect(jsonPath("$.drivers[0].instances[0].healthService").value(nullValue()))
        .andExpect(jsonPath("$.drivers[0].instances[0].connected").value(true))
        .andExpect(jsonPath("$.drivers[0].instances[0].connection").value("CONNECTED"))
        .andExpect(jsonPath("$.drivers[0].instances[0].registeredAt").value(NOW.toString()))
        .andExpect(jsonPath("$.drivers[0].instances[1].endpoint").value(NEW))
        .andExpect(jsonPath("$.drivers[0].instances[1].registrationSocket").value(path(NEW_REG)))
        .andExpect(jsonPath("$.drivers[0].instances[1].service").value("v1.DRAPlugin"))
        .andExpect(
            jsonPath("$.drivers[0].instances[1].healthService").value("v1.DRAResourceHealth"))
        .andExpect(jsonPath("$.drivers[0].instances[1].connected").value(false))
        .andExpect(jsonPath("$.drivers[0].instances[1].connection").value("CONNECTING"))
        .andExpect(jsonPath("$.drivers[0].pendingWipe").value(nullValue()))
        .andExpect(jsonPath("$.drivers[0].instances[1].registeredAt").value(NOW.toString()))
        .andExpect(jsonPath("$.rejected", hasSize(1)))
        .andExpect(jsonPath("$.rejected[0].socket").value(path(BAD_REG)))
        .andExpect(jsonPath("$.rejected[0].driver").value("evil.example.com"))
        .andExpect(jsonPath("$.rejected[0].reason").value(REASON))
        .andExpect(jsonPath("$.rejected[0].attempts").value(1))
        .andExpect(jsonPath("$.rejected[0].lastAttemptAt").value(NOW.toString()))
        .andExpect(jsonPath("$.rejected[0].retrying").value(false))
        .andExpect(jsonPath("$.ignored", hasSize(1)))
        .andExpect(jsonPath("$.ignored[0].socket").value(path(CSI_REG)))
        .andExpect(jsonPath("$.ignored[0].type").value("CSIPlugin"))
        .andExpect(jsonPath("$.ignored[0].name").value("csi.example.com"));
  }

  /** Socket paths are shown as plain absolute paths, like endpoints. */
  private static String path(Path path) {
    return path.toString();
  }
}
