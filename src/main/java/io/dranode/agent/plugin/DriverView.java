package io.dranode.agent.plugin;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A driver as the store sees it at one moment.
 *
 * @param driver the driver name
 * @param usable whether any instance is connected
 * @param activeEndpoint the instance in use: the newest connected one, else the newest
 * @param instances every instance, in registration order
 */
public record DriverView(
    String driver,
    boolean usable,
    @Nullable String activeEndpoint,
    List<PluginInstance> instances) {}
