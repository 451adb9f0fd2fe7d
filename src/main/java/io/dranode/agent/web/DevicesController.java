package io.dranode.agent.web;

import io.dranode.agent.view.AgentViews;
import io.dranode.agent.view.Views;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/v1/devices/health}: every device of every driver that reports health. */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
class DevicesController {

  private final AgentViews views;

  DevicesController(AgentViews views) {
    this.views = views;
  }

  @GetMapping("/devices/health")
  Views.Devices devices() {
    return views.devices();
  }
}
