package io.dranode.agent.condition;

import io.dranode.agent.devicehealth.DriverHealth;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.Rejection;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the agent knows of one driver at one moment: the input of {@link ConditionRules}.
 *
 * @param driver the driver name
 * @param connections the connection state of each registered instance, in registration order
 * @param endpoints the endpoint of each registered instance, in the same order
 * @param refusal the latest refusal of a socket that named this driver, if any
 * @param goneBecause why its last instance left, if it did while the agent ran
 * @param slicesSynced whether the slice informer has listed this node's slices
 * @param slices how many slices of this node and driver the informer holds
 * @param usableSince since when an instance has been connected without interruption; null when none
 *     is
 * @param health its device health
 */
public record DriverFacts(
    String driver,
    List<ConnectionState> connections,
    List<String> endpoints,
    @Nullable Rejection refusal,
    @Nullable String goneBecause,
    boolean slicesSynced,
    int slices,
    @Nullable Instant usableSince,
    DriverHealth health) {}
