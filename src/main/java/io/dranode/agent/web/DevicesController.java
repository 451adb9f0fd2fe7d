package io.dranode.agent.web;

import io.dranode.agent.devicehealth.DeviceHealthEntry;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/v1/devices/health}: every device of every driver that reports health. */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
class DevicesController {

  private final DeviceHealthMonitor monitor;

  DevicesController(DeviceHealthMonitor monitor) {
    this.monitor = monitor;
  }

  record DevicesResponse(List<DeviceResponse> devices) {}

  record DeviceResponse(
      String driver,
      String pool,
      String device,
      String health,
      @Nullable Instant lastUpdated,
      String message) {
    static DeviceResponse of(DeviceHealthEntry entry) {
      return new DeviceResponse(
          entry.driver(),
          entry.pool(),
          entry.device(),
          entry.health().name(),
          entry.lastUpdated(),
          entry.message());
    }
  }

  @GetMapping("/devices/health")
  DevicesResponse devices() {
    return new DevicesResponse(monitor.devices().stream().map(DeviceResponse::of).toList());
  }
}
