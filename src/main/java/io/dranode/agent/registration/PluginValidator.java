package io.dranode.agent.registration;

import static io.dranode.agent.input.Untrusted.clean;
import static io.dranode.agent.input.Untrusted.quote;

import io.dranode.agent.input.KubernetesNames;
import io.dranode.agent.plugin.Services;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Validates what a plugin says about itself. Everything a plugin sends is untrusted: names and
 * endpoints are checked like the kubelet does, and every value quoted back in a reason goes through
 * {@link io.dranode.agent.input.Untrusted}, so that a hostile plugin cannot flood logs or APIs.
 */
final class PluginValidator {

  static final String DRA_PLUGIN_TYPE = "DRAPlugin";
  private static final Set<String> OTHER_TYPES = Set.of("CSIPlugin", "DevicePlugin");

  /** {@code sun_path} holds 108 bytes including the terminating NUL. */
  static final int UNIX_PATH_MAX = 108;

  private static final int LIST_MAX = 8;

  /** Keeps a refusal reason well under 1,000 characters even with 8 long quoted services. */
  private static final int LIST_CHARS_MAX = 300;

  private final Path kubeletRootDir;
  private final Path registryDir;
  private final Path pluginsDir;

  PluginValidator(Path kubeletRootDir, Path registryDir, Path pluginsDir) {
    this.kubeletRootDir = kubeletRootDir.normalize();
    this.registryDir = registryDir.normalize();
    this.pluginsDir = pluginsDir.normalize();
  }

  /**
   * Decides on a plugin's info. An empty endpoint means the registration socket itself, as the
   * kubelet's plugin watcher has it.
   */
  Decision decide(PluginInfo info, Path registrationSocket) {
    String type = info.getType();
    if (!DRA_PLUGIN_TYPE.equals(type)) {
      if (OTHER_TYPES.contains(type)) {
        return new Decision.NotOurs(type, clean(info.getName()));
      }
      return new Decision.Refuse(
          null, "unsupported plugin type " + quote(type) + ": only DRAPlugin is handled");
    }
    String driver = info.getName();
    String nameProblem = KubernetesNames.driverNameProblem(driver);
    if (nameProblem != null) {
      return new Decision.Refuse(driver.isEmpty() ? null : clean(driver), nameProblem);
    }
    String endpoint =
        info.getEndpoint().isEmpty() ? registrationSocket.toString() : info.getEndpoint();
    String endpointProblem = endpointProblem(endpoint);
    if (endpointProblem != null) {
      return new Decision.Refuse(driver, endpointProblem);
    }
    List<String> offered = info.getSupportedVersionsList();
    String service = pickService(offered);
    if (service == null) {
      return new Decision.Refuse(
          driver,
          "invalid supported gRPC versions of DRA driver plugin "
              + driver
              + " at endpoint "
              + quote(endpoint)
              + ": "
              + servicesProblem(offered));
    }
    return new Decision.Accept(
        driver, Path.of(endpoint).normalize().toString(), service, pickHealthService(offered));
  }

  /** Null when the endpoint is acceptable, else the reason. */
  @Nullable String endpointProblem(String endpoint) {
    if (endpoint.isEmpty()) {
      return "empty DRA plugin endpoint";
    }
    if (endpoint.getBytes(StandardCharsets.UTF_8).length >= UNIX_PATH_MAX) {
      return "DRA plugin endpoint "
          + quote(endpoint)
          + " is longer than "
          + (UNIX_PATH_MAX - 1)
          + " bytes, the limit of a Unix socket path";
    }
    // A socket path with a newline or an escape sequence is never a real one, and an accepted
    // endpoint is logged as it is: refused, so that a plugin cannot forge log lines.
    if (endpoint.chars().anyMatch(Character::isISOControl)) {
      return "DRA plugin endpoint " + quote(endpoint) + " contains a control character";
    }
    Path path;
    try {
      path = Path.of(endpoint);
    } catch (InvalidPathException e) {
      return "DRA plugin endpoint " + quote(endpoint) + " is not a valid path";
    }
    if (!path.isAbsolute()) {
      return "DRA plugin endpoint " + quote(endpoint) + " must be an absolute path";
    }
    Path normalized = path.normalize();
    if (!normalized.startsWith(kubeletRootDir) || normalized.equals(kubeletRootDir)) {
      return "DRA plugin endpoint "
          + quote(endpoint)
          + " is not inside the kubelet root folder "
          + kubeletRootDir;
    }
    // Inside the root, but a folder the agent knows: it can never be connected to, and the
    // driver would be registered only to be taken for gone and wiped a grace period later.
    if (normalized.equals(registryDir) || normalized.equals(pluginsDir)) {
      return "DRA plugin endpoint "
          + quote(endpoint)
          + " is the "
          + (normalized.equals(registryDir) ? "plugin registration" : "plugins")
          + " folder itself, not a socket";
    }
    return null;
  }

  /** The first service, in the plugin's order, that the agent supports; null when none. */
  static @Nullable String pickService(List<String> offered) {
    for (String service : offered) {
      if (Services.DRA.contains(service)) {
        return service;
      }
    }
    return null;
  }

  /** {@code v1.DRAResourceHealth} over {@code v1alpha1.DRAResourceHealth}; null when neither. */
  static @Nullable String pickHealthService(List<String> offered) {
    for (String health : Services.HEALTH) {
      if (offered.contains(health)) {
        return health;
      }
    }
    return null;
  }

  private static String servicesProblem(List<String> offered) {
    if (offered.isEmpty()) {
      return "empty list of supported gRPC services (aka supported versions)";
    }
    StringBuilder list = new StringBuilder("[");
    int shown = 0;
    while (shown < offered.size() && shown < LIST_MAX && list.length() < LIST_CHARS_MAX) {
      list.append(shown == 0 ? "" : " ").append(quote(offered.get(shown)));
      shown++;
    }
    if (offered.size() > shown) {
      list.append(" … ").append(offered.size() - shown).append(" more");
    }
    list.append(']');
    return "none of the services supported by the plugin "
        + list
        + " are supported by the agent "
        + Services.DRA;
  }
}
