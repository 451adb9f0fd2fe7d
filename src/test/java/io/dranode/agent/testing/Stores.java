package io.dranode.agent.testing;

import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginStore;

/** Questions tests ask the store, answered from its views as every API answers them. */
public final class Stores {

  private Stores() {}

  /** Whether the driver is registered with at least one connected instance. */
  public static boolean usable(PluginStore store, String driver) {
    return store.driver(driver).map(DriverView::usable).orElse(false);
  }

  /** The endpoint of the instance in use, or "none". */
  public static String activeEndpoint(PluginStore store, String driver) {
    return store.driver(driver).map(DriverView::activeEndpoint).orElse("none");
  }
}
