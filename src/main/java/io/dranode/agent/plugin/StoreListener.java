package io.dranode.agent.plugin;

import java.nio.file.Path;

/**
 * Told of every change of the store, in order, while the store holds its lock: an implementation
 * must be quick (record, queue, open a channel lazily) and must never call back into the store. The
 * store's internal consumers (connections, device health, conditions) subscribe with {@link
 * PluginStore#subscribe} when they start and close the handle when they stop.
 */
public interface StoreListener {

  /** An instance was recorded, in state {@link ConnectionState#CONNECTING}. */
  default void registered(PluginInstance instance) {}

  /**
   * An instance was removed.
   *
   * @param lastOfDriver whether its driver has no instance left
   */
  default void deregistered(PluginInstance instance, String why, boolean lastOfDriver) {}

  /** An instance's connection changed; the argument carries the new state. */
  default void connectionChanged(PluginInstance instance) {}

  /** A registration socket was refused or could not be reached. */
  default void rejected(Rejection rejection) {}

  /**
   * A socket's refusal is no longer recorded: its plugin registered, it turned out to be another
   * plugin type, or the socket is gone.
   */
  default void rejectionCleared(Path socket) {}
}
