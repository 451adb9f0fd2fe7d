package io.dranode.agent.web;

import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.web.ApiViews.DriverResponse;
import io.dranode.agent.web.ApiViews.PluginsResponse;
import io.dranode.agent.web.ApiViews.RejectedResponse;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/** {@code GET /api/v1/plugins[/{driver}]}: drivers, their instances, and refused sockets. */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
class PluginsController {

  private static final Pattern DRIVER_NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private final PluginStore store;
  private final PendingWipes wipes;
  private final ObjectProvider<DeviceHealthSummaries> health;
  private final AgentProperties properties;

  PluginsController(
      PluginStore store,
      PendingWipes wipes,
      ObjectProvider<DeviceHealthSummaries> health,
      AgentProperties properties) {
    this.store = store;
    this.wipes = wipes;
    this.health = health;
    this.properties = properties;
  }

  @GetMapping("/plugins")
  PluginsResponse plugins() {
    // Looked up once per request, not once per driver: with 50 drivers the 50 bean-factory lookups
    // were 12 % of the CPU time of this endpoint under load (docs/BENCHMARKS.md, benchmark 7).
    DeviceHealthSummaries summaries = health.getIfAvailable();
    return new PluginsResponse(
        properties.nodeName(),
        properties.mode().name().toLowerCase(Locale.ROOT),
        store.drivers().stream().map(view -> driver(view, summaries)).toList(),
        store.rejections().stream().map(RejectedResponse::of).toList(),
        store.ignoredSockets());
  }

  @GetMapping("/plugins/{driver}")
  DriverResponse plugin(@PathVariable String driver) {
    if (driver.length() > 63 || !DRIVER_NAME.matcher(driver).matches()) {
      throw new ResponseStatusException(
          HttpStatus.BAD_REQUEST,
          "'"
              + (driver.length() > 70 ? driver.substring(0, 70) + "…" : driver)
              + "' is not a valid DRA driver name (a lower-case DNS subdomain of at most 63"
              + " characters)");
    }
    DeviceHealthSummaries summaries = health.getIfAvailable();
    return store
        .driver(driver)
        .map(view -> driver(view, summaries))
        .orElseThrow(
            () ->
                new ResponseStatusException(
                    HttpStatus.NOT_FOUND,
                    "no DRA driver " + driver + " is registered on this node"));
  }

  private DriverResponse driver(DriverView view, @Nullable DeviceHealthSummaries summaries) {
    Map<String, Integer> summary = summaries == null ? Map.of() : summaries.summary(view.driver());
    return DriverResponse.of(view, wipes.pendingFor(view.driver()).orElse(null), summary);
  }
}
