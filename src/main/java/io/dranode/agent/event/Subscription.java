package io.dranode.agent.event;

/** A listener's registration with what it listens to; closing it (once or more) ends it. */
@FunctionalInterface
public interface Subscription extends AutoCloseable {

  @Override
  void close();
}
