package io.dranode.agent.web;

import io.dranode.agent.view.AgentViews;
import io.dranode.agent.view.Views;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/v1/resourceslices}: this node's slices by driver, from the informer's cache. */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
class SlicesController {

  private final AgentViews views;

  SlicesController(AgentViews views) {
    this.views = views;
  }

  @GetMapping("/resourceslices")
  Views.Slices resourceSlices() {
    return views.slices();
  }
}
