package io.dranode.agent.plugin;

import java.nio.file.Path;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One registered instance of a driver (rolling updates run two at once).
 *
 * @param driver the DRA driver name
 * @param endpoint the absolute path of its DRA service socket
 * @param registrationSocket the registration socket it was found through
 * @param service the DRA service chosen, {@code v1.DRAPlugin} or {@code v1beta1.DRAPlugin}
 * @param healthService the health service it advertises, or null
 * @param registeredAt when the agent recorded it
 * @param connection the state of the agent's channel to its endpoint
 */
public record PluginInstance(
    String driver,
    String endpoint,
    Path registrationSocket,
    String service,
    @Nullable String healthService,
    Instant registeredAt,
    ConnectionState connection) {

  public boolean connected() {
    return connection == ConnectionState.CONNECTED;
  }

  PluginInstance withConnection(ConnectionState state) {
    return new PluginInstance(
        driver, endpoint, registrationSocket, service, healthService, registeredAt, state);
  }
}
