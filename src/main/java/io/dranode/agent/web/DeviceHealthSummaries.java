package io.dranode.agent.web;

import java.util.Map;

/** Per-driver device health counts for the plugin views (HEALTHY, UNHEALTHY, UNKNOWN). */
interface DeviceHealthSummaries {

  Map<String, Integer> summary(String driver);
}
