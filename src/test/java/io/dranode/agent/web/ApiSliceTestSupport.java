package io.dranode.agent.web;

import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.cleanup.SweepExemptions;
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.clusterview.ClusterView;
import io.dranode.agent.condition.DriverConditions;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.event.EventStreams;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.quarantine.Quarantines;
import io.dranode.agent.view.AgentViews;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/**
 * The web layer with every controller and the problem handler, over a real store and event bus; the
 * cleanup, the slice informer and the device-health monitor are mocks the tests fill. Test classes
 * that extend this share one application context.
 */
@WebMvcTest(properties = {"dra.agent.node-name=worker", "dra.agent.mode=registrar"})
@Import({
  ApiSliceTestSupport.Beans.class,
  AgentViews.class,
  SweepExemptions.class,
  EventStreams.class
})
abstract class ApiSliceTestSupport {

  static final Instant NOW = Instant.parse("2026-11-27T10:15:30Z");

  @TestConfiguration(proxyBeanMethods = false)
  @EnableConfigurationProperties(AgentProperties.class)
  static class Beans {
    @Bean
    EventBus eventBus() {
      return new EventBus();
    }

    @Bean
    PluginStore pluginStore(EventBus events) {
      return new PluginStore(events, Clock.fixed(NOW, ZoneOffset.UTC), List.of());
    }

    /** Events are written on the publishing thread: no pool to manage in a slice test. */
    @Bean
    Executor streamExecutor() {
      return Runnable::run;
    }
  }

  @Autowired MockMvc mvc;
  @Autowired PluginStore store;
  @Autowired EventBus events;
  @MockitoBean PendingWipes wipes;
  @MockitoBean WipeHistory history;
  @MockitoBean DriverConditions conditions;
  @MockitoBean Quarantines quarantines;
  @MockitoBean ClusterView clusterView;
  @MockitoBean SliceInventory inventory;
  @MockitoBean DeviceHealthMonitor monitor;

  @AfterEach
  void emptyTheStore() {
    // The context, and so the store, is shared by every test of every subclass.
    for (DriverView driver : store.drivers()) {
      for (PluginInstance instance : driver.instances()) {
        store.deregister(instance.driver(), instance.endpoint(), "test done");
      }
    }
    store.rejections().forEach(r -> store.forgetSocket(r.socket()));
    store.ignoredSockets().forEach(i -> store.forgetSocket(i.socket()));
  }
}
