package io.dranode.agent.web;

import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.web.ApiViews.CleanupsResponse;
import io.dranode.agent.web.ApiViews.DriverSlices;
import io.dranode.agent.web.ApiViews.PendingResponse;
import io.dranode.agent.web.ApiViews.RecentResponse;
import io.dranode.agent.web.ApiViews.SliceResponse;
import io.dranode.agent.web.ApiViews.SlicesResponse;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/v1/cleanups} and {@code GET /api/v1/resourceslices}. */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
class CleanupsController {

  private final PendingWipes wipes;
  private final SliceInventory inventory;
  private final PluginStore store;
  private final AgentProperties properties;

  CleanupsController(
      PendingWipes wipes, SliceInventory inventory, PluginStore store, AgentProperties properties) {
    this.wipes = wipes;
    this.inventory = inventory;
    this.store = store;
    this.properties = properties;
  }

  @GetMapping("/cleanups")
  CleanupsResponse cleanups() {
    return new CleanupsResponse(
        wipes.pending().stream().map(PendingResponse::of).toList(),
        wipes.recent().stream().map(RecentResponse::of).toList());
  }

  @GetMapping("/resourceslices")
  SlicesResponse resourceSlices() {
    Set<String> usable = new java.util.TreeSet<>();
    store
        .drivers()
        .forEach(
            d -> {
              if (d.usable()) {
                usable.add(d.driver());
              }
            });
    List<DriverSlices> drivers = new ArrayList<>();
    for (Map.Entry<String, List<ResourceSlice>> e : inventory.byDriver().entrySet()) {
      List<SliceResponse> slices = e.getValue().stream().map(CleanupsController::slice).toList();
      drivers.add(new DriverSlices(e.getKey(), usable.contains(e.getKey()), slices));
    }
    return new SlicesResponse(properties.nodeName(), inventory.synced(), drivers);
  }

  private static SliceResponse slice(ResourceSlice slice) {
    var pool = slice.getSpec().getPool();
    var devices = slice.getSpec().getDevices();
    return new SliceResponse(
        slice.getMetadata().getName(),
        pool == null ? null : pool.getName(),
        pool == null ? null : pool.getGeneration(),
        devices == null ? 0 : devices.size());
  }
}
