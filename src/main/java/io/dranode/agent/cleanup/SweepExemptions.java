package io.dranode.agent.cleanup;

import io.dranode.agent.config.AgentProperties;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.Collection;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Which of this node's slices the agent must leave alone although no instance of their driver is
 * registered here: those of drivers listed in {@code dra.agent.wipe.ignore-drivers}, and those that
 * declare, for all their devices, that they need no kubelet plugin ({@code spec.skipNodeOperations}
 * of KEP-5945: {@code "*"}, or both {@code NodePrepareResources} and {@code
 * NodeUnprepareResources}). Such slices are never swept as orphans and never wiped.
 */
@Component
public class SweepExemptions {

  static final String ALL = "*";
  static final String PREPARE = "NodePrepareResources";
  static final String UNPREPARE = "NodeUnprepareResources";

  private final AgentProperties.Wipe config;

  public SweepExemptions(AgentProperties properties) {
    this.config = properties.wipe();
  }

  /** Whether the slice declares that none of its devices needs a kubelet plugin. */
  public static boolean needsNoNodePlugin(ResourceSlice slice) {
    List<String> skipped = slice.getSpec() == null ? null : slice.getSpec().getSkipNodeOperations();
    return skipped != null
        && (skipped.contains(ALL) || skipped.contains(PREPARE) && skipped.contains(UNPREPARE));
  }

  /** Whether the driver's slices are never wiped, whatever they declare. */
  public boolean ignored(String driver) {
    return config.ignores(driver);
  }

  /**
   * Why the driver's slices on this node are kept although it has no instance here; null when they
   * are not (some of them would be swept).
   */
  public @Nullable String keptBecause(String driver, Collection<ResourceSlice> slices) {
    if (ignored(driver)) {
      return "listed in dra.agent.wipe.ignore-drivers";
    }
    if (!slices.isEmpty() && slices.stream().allMatch(SweepExemptions::needsNoNodePlugin)) {
      return "its slices declare that they need no kubelet plugin (spec.skipNodeOperations)";
    }
    return null;
  }
}
