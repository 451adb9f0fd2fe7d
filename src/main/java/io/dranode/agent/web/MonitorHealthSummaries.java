package io.dranode.agent.web;

import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Component;

/** Device health counts for the plugin views, from the device health monitor. */
@Component
class MonitorHealthSummaries implements DeviceHealthSummaries {

  private final DeviceHealthMonitor monitor;

  MonitorHealthSummaries(DeviceHealthMonitor monitor) {
    this.monitor = monitor;
  }

  @Override
  public Map<String, Integer> summary(String driver) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    monitor.summary(driver).forEach((health, count) -> counts.put(health.name(), count));
    return counts;
  }
}
