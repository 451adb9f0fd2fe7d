package io.dranode.example;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * What an {@link ExampleDriver} is: its name, where the kubelet lives, its devices and what it
 * advertises. Start from {@link #of} and change one thing at a time with the {@code with…} methods.
 *
 * @param driverName the DRA driver name, also the socket names' prefix (e.g. {@code
 *     gpu.example.com}); not validated beyond "usable in a file name", so tests can feed the agent
 *     names it must refuse
 * @param kubeletRootDir the kubelet's root dir ({@code /var/lib/kubelet} on a node); sockets go to
 *     its {@code plugins_registry/} and {@code plugins/<driver>/}
 * @param deviceCount devices {@code dev-0 … dev-(n-1)}, 1 to 128 (what fits in one ResourceSlice)
 * @param nodeName this node's name: the pool name and the slice's {@code spec.nodeName}
 * @param podUid when set, rolling-update mode: socket names carry the pod UID so that two instances
 *     of one driver can run side by side, as with the helper's {@code RollingUpdate(podUID)}
 * @param supportedServices what {@code GetInfo} advertises, in this order; the DRA socket serves
 *     exactly the services named here that it knows (an unknown entry such as {@code "1.0.0"} is
 *     advertised but serves nothing)
 * @param pluginType the {@code type} that {@code GetInfo} reports ({@code DRAPlugin} for a real DRA
 *     driver)
 * @param client where to publish the ResourceSlice; null publishes nothing
 * @param healthResendInterval how often the full device-health list is sent again on every open
 *     stream although nothing changed (a fresh check, so the kubelet's 30 s health timeout never
 *     expires)
 */
public record ExampleDriverConfig(
    String driverName,
    Path kubeletRootDir,
    int deviceCount,
    String nodeName,
    @Nullable String podUid,
    List<String> supportedServices,
    String pluginType,
    @Nullable KubernetesClient client,
    Duration healthResendInterval) {

  /** Both DRA service versions and the GA health service, in the helper library's order. */
  public static final List<String> DEFAULT_SUPPORTED_SERVICES =
      List.of("v1.DRAPlugin", "v1beta1.DRAPlugin", "v1.DRAResourceHealth");

  public static final String DEFAULT_PLUGIN_TYPE = "DRAPlugin";

  /** A re-check every 10 s keeps well inside the 30 s health timeout each device announces. */
  public static final Duration DEFAULT_HEALTH_RESEND_INTERVAL = Duration.ofSeconds(10);

  /** One ResourceSlice holds at most 128 devices; this driver publishes exactly one. */
  public static final int MAX_DEVICES = 128;

  public ExampleDriverConfig {
    Objects.requireNonNull(driverName, "driverName");
    Objects.requireNonNull(kubeletRootDir, "kubeletRootDir");
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(pluginType, "pluginType");
    Objects.requireNonNull(healthResendInterval, "healthResendInterval");
    if (driverName.isBlank() || driverName.contains("/") || driverName.contains("\0")) {
      throw new IllegalArgumentException(
          "driver name must be non-blank and usable in a file name, got '" + driverName + "'");
    }
    if (deviceCount < 1 || deviceCount > MAX_DEVICES) {
      throw new IllegalArgumentException(
          "device count must be between 1 and " + MAX_DEVICES + ", got " + deviceCount);
    }
    if (nodeName.isBlank()) {
      throw new IllegalArgumentException("node name must not be blank");
    }
    if (podUid != null && (podUid.isBlank() || podUid.contains("/"))) {
      throw new IllegalArgumentException("pod UID must be non-blank without '/', or null");
    }
    if (healthResendInterval.isNegative() || healthResendInterval.isZero()) {
      throw new IllegalArgumentException("health resend interval must be positive");
    }
    supportedServices = List.copyOf(supportedServices);
    kubeletRootDir = kubeletRootDir.toAbsolutePath().normalize();
  }

  /** The defaults: no pod UID, the default services, type DRAPlugin, no client, 10 s resend. */
  public static ExampleDriverConfig of(
      String driverName, Path kubeletRootDir, int deviceCount, String nodeName) {
    return new ExampleDriverConfig(
        driverName,
        kubeletRootDir,
        deviceCount,
        nodeName,
        null,
        DEFAULT_SUPPORTED_SERVICES,
        DEFAULT_PLUGIN_TYPE,
        null,
        DEFAULT_HEALTH_RESEND_INTERVAL);
  }

  public ExampleDriverConfig withPodUid(@Nullable String uid) {
    return new ExampleDriverConfig(
        driverName,
        kubeletRootDir,
        deviceCount,
        nodeName,
        uid,
        supportedServices,
        pluginType,
        client,
        healthResendInterval);
  }

  public ExampleDriverConfig withSupportedServices(List<String> services) {
    return new ExampleDriverConfig(
        driverName,
        kubeletRootDir,
        deviceCount,
        nodeName,
        podUid,
        services,
        pluginType,
        client,
        healthResendInterval);
  }

  public ExampleDriverConfig withPluginType(String type) {
    return new ExampleDriverConfig(
        driverName,
        kubeletRootDir,
        deviceCount,
        nodeName,
        podUid,
        supportedServices,
        type,
        client,
        healthResendInterval);
  }

  public ExampleDriverConfig withClient(@Nullable KubernetesClient kubernetesClient) {
    return new ExampleDriverConfig(
        driverName,
        kubeletRootDir,
        deviceCount,
        nodeName,
        podUid,
        supportedServices,
        pluginType,
        kubernetesClient,
        healthResendInterval);
  }

  public ExampleDriverConfig withHealthResendInterval(Duration interval) {
    return new ExampleDriverConfig(
        driverName,
        kubeletRootDir,
        deviceCount,
        nodeName,
        podUid,
        supportedServices,
        pluginType,
        client,
        interval);
  }

  /** The devices' names, {@code dev-0 … dev-(n-1)}. */
  public List<String> deviceNames() {
    return IntStream.range(0, deviceCount).mapToObj(i -> "dev-" + i).toList();
  }
}
