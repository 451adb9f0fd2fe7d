package io.dranode.agent.watch;

import java.nio.file.Path;

/** Receives the registry watcher's findings, on the watcher's thread: must not block. */
public interface RegistryListener {

  /** A socket appeared, or was re-created (the old registration must go first). */
  void socketCreated(Path socket);

  /** A socket disappeared. */
  void socketRemoved(Path socket);
}
