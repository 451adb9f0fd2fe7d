package io.dranode.example;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The command line of {@link ExampleDriver#main}.
 *
 * @param apiServer where to publish the ResourceSlice (credentials from the usual kubeconfig); null
 *     publishes nothing
 * @param podUid rolling-update mode when set
 */
record ExampleDriverArgs(
    String driver,
    Path kubeletRoot,
    int devices,
    String node,
    @Nullable String apiServer,
    @Nullable String podUid) {

  static final String USAGE =
      """
      usage: ExampleDriver --driver NAME --kubelet-root DIR --devices N --node NODE \
      [--api-server URL] [--pod-uid UID]
        --driver        DRA driver name, e.g. gpu.example.com
        --kubelet-root  the kubelet's root dir, e.g. /var/lib/kubelet
        --devices       number of devices, 1 to 128 (dev-0 … dev-N-1)
        --node          node name: pool name and the slice's spec.nodeName
        --api-server    publish a ResourceSlice to this API server (kubeconfig for credentials)
        --pod-uid       rolling-update mode: the pod UID goes into the socket names
      Runs until SIGTERM or SIGINT, then removes its sockets.""";

  private static final Set<String> OPTIONS =
      Set.of("--driver", "--kubelet-root", "--devices", "--node", "--api-server", "--pod-uid");

  /** Parses {@code --name value} pairs; every mistake is an IllegalArgumentException. */
  static ExampleDriverArgs parse(String... args) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      String option = args[i];
      if (!OPTIONS.contains(option)) {
        throw new IllegalArgumentException("unknown option '" + option + "'");
      }
      if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      if (values.put(option, args[i + 1]) != null) {
        throw new IllegalArgumentException(option + " given twice");
      }
    }
    String devices = required(values, "--devices");
    int count;
    try {
      count = Integer.parseInt(devices);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--devices must be a number, got '" + devices + "'", e);
    }
    return new ExampleDriverArgs(
        required(values, "--driver"),
        Path.of(required(values, "--kubelet-root")),
        count,
        required(values, "--node"),
        values.get("--api-server"),
        values.get("--pod-uid"));
  }

  ExampleDriverConfig toConfig(@Nullable KubernetesClient client) {
    return ExampleDriverConfig.of(driver, kubeletRoot, devices, node)
        .withPodUid(podUid)
        .withClient(client);
  }

  private static String required(Map<String, String> values, String option) {
    String value = values.get(option);
    if (value == null) {
      throw new IllegalArgumentException(option + " is required");
    }
    return value;
  }
}
