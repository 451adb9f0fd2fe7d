package io.dranode.agent.web;

import io.dranode.agent.input.KubernetesNames;
import io.dranode.agent.view.AgentViews;
import io.dranode.agent.view.Views;
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

  private final AgentViews views;

  PluginsController(AgentViews views) {
    this.views = views;
  }

  @GetMapping("/plugins")
  Views.Plugins plugins() {
    return views.plugins();
  }

  @GetMapping("/plugins/{driver}")
  Views.Driver plugin(@PathVariable String driver) {
    if (!KubernetesNames.isDriverName(driver)) {
      throw new ResponseStatusException(
          HttpStatus.BAD_REQUEST, KubernetesNames.notADriverName(driver));
    }
    return views
        .driver(driver)
        .orElseThrow(
            () ->
                new ResponseStatusException(
                    HttpStatus.NOT_FOUND,
                    "no DRA driver " + driver + " is registered on this node"));
  }
}
