package io.dranode.agent.archfixture.cycleb;

import io.dranode.agent.archfixture.cyclea.Ping;

/** The other half of a package cycle, for the cycle rule to catch. */
public final class Pong {
  public Ping ping() {
    return new Ping();
  }
}
