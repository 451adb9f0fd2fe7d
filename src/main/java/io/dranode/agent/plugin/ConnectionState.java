package io.dranode.agent.plugin;

/** Connection of the agent to an instance's DRA endpoint. */
public enum ConnectionState {
  /** Registered, first connection attempt not finished yet. */
  CONNECTING,
  /** The gRPC channel is READY. */
  CONNECTED,
  /** The channel failed or went idle after a drop; reconnection is being attempted. */
  DISCONNECTED
}
