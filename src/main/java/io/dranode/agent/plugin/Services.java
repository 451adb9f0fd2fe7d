package io.dranode.agent.plugin;

import java.util.List;

/**
 * The gRPC services a DRA plugin can advertise in {@code supported_versions}, as {@code "<last
 * package segment>.<Service>"}, each list in the agent's order of preference.
 */
public final class Services {

  public static final String DRA_V1 = "v1.DRAPlugin";
  public static final String DRA_V1BETA1 = "v1beta1.DRAPlugin";
  public static final String HEALTH_V1 = "v1.DRAResourceHealth";
  public static final String HEALTH_V1ALPHA1 = "v1alpha1.DRAResourceHealth";

  /** DRA services; the plugin's own order decides which one is used (as the kubelet does). */
  public static final List<String> DRA = List.of(DRA_V1, DRA_V1BETA1);

  /** Health services, v1 preferred over v1alpha1 whatever the plugin's order. */
  public static final List<String> HEALTH = List.of(HEALTH_V1, HEALTH_V1ALPHA1);

  private Services() {}
}
