package io.dranode.agent.archfixture.cyclea;

import io.dranode.agent.archfixture.cycleb.Pong;

/** Half of a package cycle, for the cycle rule to catch. */
public final class Ping {
  public Pong pong() {
    return new Pong();
  }
}
