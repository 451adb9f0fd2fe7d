package io.dranode.agent.actuate;

import io.dranode.agent.cleanup.NodeIdentity;
import io.dranode.agent.cleanup.SliceInventory;
import io.dranode.agent.condition.Condition;
import io.dranode.agent.condition.ConditionStatus;
import io.dranode.agent.condition.DriverConditions;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.quarantine.Quarantines;
import io.dranode.agent.watch.RegistryWatcher;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

/**
 * Health components. Liveness looks only at the agent's own machinery (the watcher and the
 * scheduler): restarting the pod cannot fix an API server or a driver. Readiness is the initial
 * registry scan. {@code kubernetesApi} and {@code draPlugins} inform; they are not probes.
 */
@Configuration(proxyBeanMethods = false)
class AgentHealth {

  @Bean
  HealthIndicator agentLivenessHealthIndicator(
      RegistryWatcher watcher, ThreadPoolTaskScheduler taskScheduler) {
    return () -> {
      boolean schedulerAlive = !taskScheduler.getScheduledExecutor().isShutdown();
      boolean watcherAlive = watcher.healthy();
      Health.Builder health = watcherAlive && schedulerAlive ? Health.up() : Health.down();
      return health
          .withDetail("registryWatcher", watcherAlive ? "running" : "stopped")
          .withDetail("scheduler", schedulerAlive ? "running" : "shut down")
          .build();
    };
  }

  @Bean
  HealthIndicator agentReadinessHealthIndicator(RegistryWatcher watcher) {
    return () ->
        (watcher.initialScanDone() ? Health.up() : Health.outOfService())
            .withDetail("initialScanDone", watcher.initialScanDone())
            .build();
  }

  @Bean
  HealthIndicator registryWatcherHealthIndicator(RegistryWatcher watcher) {
    return () ->
        (watcher.healthy() ? Health.up() : Health.down())
            .withDetail("registryDir", watcher.root().toString())
            .withDetail("initialScanDone", watcher.initialScanDone())
            .withDetail("rescans", watcher.rescans())
            .build();
  }

  @Bean
  HealthIndicator kubernetesApiHealthIndicator(NodeIdentity node, SliceInventory inventory) {
    return () -> {
      NodeIdentity.Status status = node.status();
      boolean up = inventory.watching() || status.state() == NodeIdentity.State.PRESENT;
      return (up ? Health.up() : Health.down())
          .withDetail("node", node.nodeName())
          .withDetail("nodeState", status.state().name())
          .withDetail("nodeDetail", status.detail())
          .withDetail("sliceWatch", inventory.watching() ? "watching" : "not watching")
          .withDetail("slicesSynced", inventory.synced())
          .build();
    };
  }

  /** Informs: whether quarantine is on, the API it found, its last failure. */
  @Bean
  HealthIndicator quarantineHealthIndicator(Quarantines quarantines) {
    return () -> {
      Health.Builder health = Health.up().withDetail("enabled", quarantines.enabled());
      if (quarantines.enabled()) {
        health.withDetail(
            "deviceTaintRules",
            switch (quarantines.api()) {
              case UNKNOWN -> "not asked yet";
              case V1 -> "resource.k8s.io/v1";
              case V1BETA2 -> "resource.k8s.io/v1beta2";
              case NONE -> "not served: quarantine is off";
            });
        String error = quarantines.lastError();
        if (error != null) {
          health.withDetail("lastError", error);
        }
      }
      return health.build();
    };
  }

  /**
   * Informs, never fails: a driver's trouble is the driver's, not the agent's. Details give each
   * driver's conditions as "Status" or "Status (Reason)" when not True.
   */
  @Bean
  HealthIndicator draPluginsHealthIndicator(PluginStore store, DriverConditions conditions) {
    return () -> {
      List<DriverView> drivers = store.drivers();
      long usable = drivers.stream().filter(DriverView::usable).count();
      Map<String, Map<String, String>> byDriver = new TreeMap<>();
      conditions
          .byDriver()
          .forEach(
              (driver, list) -> {
                Map<String, String> shown = new LinkedHashMap<>();
                for (Condition c : list) {
                  shown.put(
                      c.type(),
                      c.status() == ConditionStatus.TRUE
                          ? c.status().wireName()
                          : c.status().wireName() + " (" + c.reason() + ")");
                }
                byDriver.put(driver, shown);
              });
      return Health.up()
          .withDetail("drivers", drivers.size())
          .withDetail("usable", usable)
          .withDetail("rejectedSockets", store.rejections().size())
          .withDetail("conditions", byDriver)
          .build();
    };
  }
}
