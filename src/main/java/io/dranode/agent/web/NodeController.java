package io.dranode.agent.web;

import io.dranode.agent.clusterview.ClusterView;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/node}: the status of the node's {@code DRANode}, built and serialized by the
 * code that writes it into the object, so the two show the same document.
 */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
class NodeController {

  private final ClusterView view;

  NodeController(ClusterView view) {
    this.view = view;
  }

  @GetMapping("/node")
  String node() {
    return view.json(view.status());
  }
}
