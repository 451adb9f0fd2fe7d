package io.dranode.agent.chart;

import static io.dranode.agent.chart.RenderedChart.at;
import static io.dranode.agent.chart.RenderedChart.list;
import static io.dranode.agent.chart.RenderedChart.map;
import static io.dranode.agent.chart.RenderedChart.render;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The DaemonSet and what serves it: probes, ports, host paths, environment, scheduling. */
@Tag("chart")
class ChartTestWorkload {

  @Test
  void probesUseTheActuatorHealthGroupsOnTheHttpPort() {
    Map<String, Object> container = render().agentContainer();

    assertThat(at(container, "startupProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
    assertThat(at(container, "livenessProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
    assertThat(at(container, "readinessProbe.httpGet.path"))
        .isEqualTo("/actuator/health/readiness");
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      assertThat(at(container, probe + ".httpGet.port")).as(probe).isEqualTo("http");
    }
    assertThat(at(container, "startupProbe.failureThreshold")).isEqualTo(30);
    assertThat(at(container, "startupProbe.periodSeconds")).isEqualTo(2);
  }

  @Test
  void portsAreNamedAndReachTheApplication() {
    RenderedChart chart = render();

    assertThat(list(at(chart.agentContainer(), "ports")))
        .map(p -> map(p).get("name") + "=" + map(p).get("containerPort"))
        .containsExactly("http=8080", "grpc=9090");
    assertThat(chart.env("SERVER_PORT")).containsEntry("value", "8080");
    assertThat(chart.env("SPRING_GRPC_SERVER_PORT")).containsEntry("value", "9090");
    assertThat(list(at(chart.agentContainer(), "env")))
        .map(e -> map(e).get("name"))
        .doesNotContain("MANAGEMENT_SERVER_PORT");
    assertThat(list(at(chart.one("Service"), "spec.ports")))
        .map(p -> map(p).get("targetPort"))
        .containsExactly("http");
  }

  @Test
  void aManagementPortMovesProbesServiceAndMonitorToIt() {
    RenderedChart chart = render("ports.management", "9191", "serviceMonitor.enabled", "true");

    Map<String, Object> container = chart.agentContainer();
    assertThat(list(at(container, "ports")))
        .map(p -> map(p).get("name") + "=" + map(p).get("containerPort"))
        .containsExactly("http=8080", "management=9191", "grpc=9090");
    assertThat(chart.env("MANAGEMENT_SERVER_PORT")).containsEntry("value", "9191");
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      assertThat(at(container, probe + ".httpGet.port")).as(probe).isEqualTo("management");
    }
    assertThat(list(at(chart.one("Service"), "spec.ports")))
        .map(p -> map(p).get("targetPort"))
        .containsExactly("management", "http");
    assertThat(at(chart.one("ServiceMonitor"), "spec.endpoints.0.port")).isEqualTo("management");
  }

  @Test
  void hostPathsFollowTheKubeletRootDir() {
    RenderedChart chart = render("kubeletRootDir", "/opt/k8s/kubelet");

    Map<String, Object> pod = chart.daemonSetPod();
    assertThat(hostPath(pod, "plugins-registry")).isEqualTo("/opt/k8s/kubelet/plugins_registry");
    assertThat(hostPath(pod, "plugins")).isEqualTo("/opt/k8s/kubelet/plugins");
    assertThat(list(at(pod, "volumes")))
        .filteredOn(v -> map(v).containsKey("hostPath"))
        .allSatisfy(v -> assertThat(at(v, "hostPath.type")).isEqualTo("DirectoryOrCreate"));
    assertThat(list(at(chart.agentContainer(), "volumeMounts")))
        .map(m -> map(m).get("mountPath"))
        .containsExactly("/opt/k8s/kubelet/plugins_registry", "/opt/k8s/kubelet/plugins", "/tmp");
    assertThat(chart.env("DRA_AGENT_KUBELET_ROOT_DIR")).containsEntry("value", "/opt/k8s/kubelet");
  }

  @Test
  void environmentCarriesTheSettingsAndTheDownwardApi() {
    RenderedChart chart =
        render(
            "extraEnv[0].name", "EXTRA",
            "extraEnv[0].value", "1",
            "extraEnv[1].name", "HOST_IP",
            "extraEnv[1].valueFrom.fieldRef.fieldPath", "status.hostIP");

    assertThat(at(chart.env("NODE_NAME"), "valueFrom.fieldRef.fieldPath"))
        .isEqualTo("spec.nodeName");
    assertThat(at(chart.env("POD_NAMESPACE"), "valueFrom.fieldRef.fieldPath"))
        .isEqualTo("metadata.namespace");
    assertThat(at(chart.env("POD_UID"), "valueFrom.fieldRef.fieldPath")).isEqualTo("metadata.uid");
    // The DRANode's status.agent.podName.
    assertThat(at(chart.env("POD_NAME"), "valueFrom.fieldRef.fieldPath"))
        .isEqualTo("metadata.name");
    assertThat(chart.env("DRA_AGENT_MODE")).containsEntry("value", "observer");
    assertThat(chart.env("DRA_AGENT_WIPE_ENABLED")).containsEntry("value", "true");
    assertThat(chart.env("DRA_AGENT_WIPE_DRY_RUN")).containsEntry("value", "false");
    assertThat(chart.env("DRA_AGENT_WIPE_DELAY")).containsEntry("value", "30s");
    assertThat(chart.env("DRA_AGENT_WIPE_SWEEP_INTERVAL")).containsEntry("value", "5m");
    assertThat(chart.env("DRA_AGENT_QUARANTINE_ENABLED")).containsEntry("value", "false");
    assertThat(chart.env("DRA_AGENT_QUARANTINE_POOLS")).containsEntry("value", "node");
    assertThatThrownBy(() -> chart.env("DRA_AGENT_WIPE_IGNORE_DRIVERS"))
        .as("no ignore list unless one is given")
        .isInstanceOf(AssertionError.class);
    assertThat(chart.env("LOGGING_STRUCTURED_FORMAT_CONSOLE")).containsEntry("value", "ecs");
    // --set makes 1 a number; an EnvVar value must still render as the string "1"
    assertThat(chart.env("EXTRA")).containsEntry("value", "1");
    assertThat(at(chart.env("HOST_IP"), "valueFrom.fieldRef.fieldPath")).isEqualTo("status.hostIP");
  }

  /** A list value becomes the comma-separated form Spring binds to a list property. */
  @Test
  void theIgnoreListAndTheQuarantineReachTheAgent() {
    RenderedChart chart =
        render(
            "agent.wipe.ignoreDrivers[0]", "nic.example.com",
            "agent.wipe.ignoreDrivers[1]", "fpga.example.com",
            "quarantine.enabled", "true",
            "quarantine.pools", "any");

    assertThat(chart.env("DRA_AGENT_WIPE_IGNORE_DRIVERS"))
        .containsEntry("value", "nic.example.com,fpga.example.com");
    assertThat(chart.env("DRA_AGENT_QUARANTINE_ENABLED")).containsEntry("value", "true");
    assertThat(chart.env("DRA_AGENT_QUARANTINE_POOLS")).containsEntry("value", "any");
  }

  @Test
  void plainTextLogsLeaveTheStructuredFormatUnset() {
    RenderedChart chart = render("logging.json", "false");

    assertThat(list(at(chart.agentContainer(), "env")))
        .map(e -> map(e).get("name"))
        .doesNotContain("LOGGING_STRUCTURED_FORMAT_CONSOLE");
  }

  @Test
  void schedulingDefaultsSuitANodeCriticalAgent() {
    RenderedChart chart = render();
    Map<String, Object> pod = chart.daemonSetPod();

    assertThat(pod).containsEntry("priorityClassName", "system-node-critical");
    assertThat(pod).containsEntry("terminationGracePeriodSeconds", 30);
    assertThat(pod.get("tolerations")).isEqualTo(List.of(Map.of("operator", "Exists")));
    assertThat(at(chart.one("DaemonSet"), "spec.updateStrategy"))
        .isEqualTo(Map.of("type", "RollingUpdate", "rollingUpdate", Map.of("maxUnavailable", 1)));
    assertThat(at(chart.agentContainer(), "resources"))
        .isEqualTo(
            Map.of(
                "requests", Map.of("cpu", "50m", "memory", "192Mi"),
                "limits", Map.of("memory", "256Mi")));
    assertThat(at(chart.agentContainer(), "image")).isEqualTo("dra-node-agent:0.1.0");
  }

  @Test
  void aDigestPinsTheImage() {
    String digest = "sha256:" + "ab".repeat(32);

    assertThat(at(render("image.digest", digest).agentContainer(), "image"))
        .isEqualTo("dra-node-agent@" + digest);
  }

  @Test
  void serviceMonitorOnlyWhenEnabled() {
    assertThat(render().has("ServiceMonitor")).isFalse();

    Map<String, Object> monitor = render("serviceMonitor.enabled", "true").one("ServiceMonitor");
    assertThat(at(monitor, "spec.endpoints.0.port")).isEqualTo("http");
    assertThat(at(monitor, "spec.endpoints.0.path")).isEqualTo("/actuator/prometheus");
  }

  private static Object hostPath(Map<String, Object> pod, String volume) {
    return list(at(pod, "volumes")).stream()
        .filter(v -> volume.equals(map(v).get("name")))
        .map(v -> at(v, "hostPath.path"))
        .findFirst()
        .orElseThrow();
  }
}
