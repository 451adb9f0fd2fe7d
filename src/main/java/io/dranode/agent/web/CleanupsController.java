package io.dranode.agent.web;

import io.dranode.agent.view.AgentViews;
import io.dranode.agent.view.Views;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/v1/cleanups}: pending wipes and the most recent finished ones. */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
class CleanupsController {

  private final AgentViews views;

  CleanupsController(AgentViews views) {
    this.views = views;
  }

  @GetMapping("/cleanups")
  Views.Cleanups cleanups() {
    return views.cleanups();
  }
}
