package io.dranode.agent.web;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.IgnoredSocket;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import java.util.List;
import java.util.Locale;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/v1/plugins}: every driver, its instances, and the refused sockets. */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
class PluginsController {

  private final PluginStore store;
  private final AgentProperties properties;

  PluginsController(PluginStore store, AgentProperties properties) {
    this.store = store;
    this.properties = properties;
  }

  /** The whole store. */
  record PluginsResponse(
      String node,
      String mode,
      List<DriverView> drivers,
      List<Rejection> rejected,
      List<IgnoredSocket> ignored) {}

  @GetMapping("/plugins")
  PluginsResponse plugins() {
    return new PluginsResponse(
        properties.nodeName(),
        properties.mode().name().toLowerCase(Locale.ROOT),
        store.drivers(),
        store.rejections(),
        store.ignoredSockets());
  }
}
