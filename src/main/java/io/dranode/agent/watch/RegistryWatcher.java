package io.dranode.agent.watch;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.Phases;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.task.AsyncTaskExecutor;
import org.springframework.stereotype.Component;

/**
 * Watches the plugin registry folder the way the kubelet's plugin watcher does, but event-driven:
 * an initial walk, then inotify events for every folder of the tree. Dot-files and non-sockets are
 * skipped; a socket created again (new inode) is reported as created again; lost events ({@code
 * OVERFLOW}) and a registry folder that vanished lead to a full rescan.
 */
@Component
public class RegistryWatcher implements SmartLifecycle {

  /**
   * How often the registry folder's identity is checked while no event arrives. A folder deleted
   * while a plugin still listens on a socket in it is not reported by inotify (the listening socket
   * keeps the folder's inode alive, so its watch is never invalidated): only a look at the path
   * shows that it is gone or was replaced. 1 s is the kubelet's reconciler period.
   */
  static final Duration ROOT_CHECK = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(RegistryWatcher.class);

  private final Path root;
  private final RegistryListener listener;
  private final AsyncTaskExecutor executor;

  // Confined to the watch thread after start(), except for the volatile flags.
  private final Map<Path, Object> sockets = new HashMap<>();
  private final Map<WatchKey, Path> folders = new HashMap<>();
  private @Nullable Object rootKey; // identity of the registry folder being watched
  private @Nullable WatchService watchService;
  private @Nullable Future<?> loop;
  private volatile boolean running;
  private volatile boolean initialScanDone;
  private volatile boolean failed;
  private volatile long rescans;

  public RegistryWatcher(
      AgentProperties properties,
      RegistryListener listener,
      @Qualifier("watchExecutor") AsyncTaskExecutor executor) {
    this.root = properties.registryDir();
    this.listener = listener;
    this.executor = executor;
  }

  @Override
  public synchronized void start() {
    try {
      createRoot();
      WatchService service = FileSystems.getDefault().newWatchService();
      watchService = service;
      rescan(service);
      initialScanDone = true;
      running = true;
      loop = executor.submit(() -> run(service));
      log.info("Watching DRA plugin registry {} ({} sockets found)", root, sockets.size());
    } catch (IOException e) {
      failed = true;
      throw new UncheckedIOException("Cannot watch the plugin registry folder " + root, e);
    }
  }

  @Override
  public synchronized void stop() {
    running = false;
    WatchService service = watchService;
    if (service != null) {
      try {
        service.close();
      } catch (IOException e) {
        log.debug("Closing the watch service failed", e);
      }
    }
    Future<?> current = loop;
    if (current != null) {
      try {
        current.get(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        log.warn("Registry watcher did not stop cleanly", e);
        current.cancel(true);
      }
    }
    watchService = null;
    loop = null;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return Phases.WATCHER;
  }

  /** True once the first walk of the registry has reported every socket found. */
  public boolean initialScanDone() {
    return initialScanDone;
  }

  /** True while the watch loop runs; false after a fatal error or after stop. */
  public boolean healthy() {
    return running && !failed;
  }

  public Path root() {
    return root;
  }

  /** How many full rescans happened (lost events, vanished folder). */
  public long rescans() {
    return rescans;
  }

  private void run(WatchService service) {
    try {
      while (running) {
        WatchKey key = service.poll(ROOT_CHECK.toMillis(), TimeUnit.MILLISECONDS);
        if (key == null) {
          if (rootReplaced()) {
            createRoot();
            rescan(service);
          }
          continue;
        }
        Path folder = folders.get(key);
        boolean overflow = false;
        for (WatchEvent<?> event : key.pollEvents()) {
          if (event.kind() == OVERFLOW) {
            overflow = true;
          } else if (folder != null && event.context() instanceof Path name) {
            handle(service, event.kind(), folder.resolve(name));
          }
        }
        if (!key.reset()) {
          folders.remove(key);
          if (root.equals(folder)) {
            log.warn("Plugin registry folder {} vanished; re-creating it and rescanning", root);
            overflow = true;
          }
        } else if (root.equals(folder) && rootReplaced()) {
          overflow = true;
        }
        if (overflow) {
          createRoot();
          rescan(service);
        }
      }
    } catch (ClosedWatchServiceException e) {
      log.debug("Registry watch closed");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      if (running) {
        failed = true;
        log.error("Registry watcher failed; new plugins are no longer discovered", e);
      }
    }
  }

  private void handle(WatchService service, WatchEvent.Kind<?> kind, Path path) throws IOException {
    if (SocketFiles.hidden(path)) {
      return;
    }
    if (kind == ENTRY_CREATE) {
      if (SocketFiles.isDirectory(path)) {
        watchTree(service, path);
        scanTree(path);
        return;
      }
      // A socket can be found twice: by the scan of a new folder and by the event of its creation
      // in that folder. Only a new inode is a new socket; reporting it again would make the
      // handler deregister and re-register a live instance.
      Object key = SocketFiles.socketKey(path);
      if (key != null && !key.equals(sockets.put(path, key))) {
        created(path);
      }
    } else if (kind == ENTRY_DELETE) {
      removeUnder(path);
    }
  }

  /**
   * True when the registry folder is gone or is another folder than the one watched (deleted and
   * re-created), although its watch key is still valid.
   */
  private boolean rootReplaced() {
    Object current = SocketFiles.folderKey(root);
    if (current != null && current.equals(rootKey)) {
      return false;
    }
    log.warn(
        "Plugin registry folder {} {}; re-creating it if needed and rescanning",
        root,
        current == null ? "vanished" : "was replaced");
    return true;
  }

  /** Walks the whole tree again and reports the difference with what is known. */
  private void rescan(WatchService service) throws IOException {
    rescans++;
    rootKey = SocketFiles.folderKey(root);
    for (Iterator<WatchKey> it = folders.keySet().iterator(); it.hasNext(); ) {
      WatchKey key = it.next();
      key.cancel();
      it.remove();
    }
    watchTree(service, root);
    Map<Path, Object> found = new HashMap<>();
    collectSockets(root, found);
    for (Iterator<Map.Entry<Path, Object>> it = sockets.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Path, Object> known = it.next();
      if (!found.containsKey(known.getKey())) {
        it.remove();
        removed(known.getKey());
      }
    }
    for (Map.Entry<Path, Object> e : found.entrySet()) {
      Object previous = sockets.put(e.getKey(), e.getValue());
      if (!Objects.equals(previous, e.getValue())) {
        created(e.getKey());
      }
    }
  }

  private void scanTree(Path folder) throws IOException {
    Map<Path, Object> found = new HashMap<>();
    collectSockets(folder, found);
    for (Map.Entry<Path, Object> e : found.entrySet()) {
      Object previous = sockets.put(e.getKey(), e.getValue());
      if (!Objects.equals(previous, e.getValue())) {
        created(e.getKey());
      }
    }
  }

  private void removeUnder(Path path) {
    for (Iterator<Path> it = sockets.keySet().iterator(); it.hasNext(); ) {
      Path socket = it.next();
      if (socket.startsWith(path)) {
        it.remove();
        removed(socket);
      }
    }
  }

  private void watchTree(WatchService service, Path top) throws IOException {
    if (!SocketFiles.isDirectory(top)) {
      return;
    }
    try (Stream<Path> tree = Files.walk(top)) {
      for (Path folder : (Iterable<Path>) tree::iterator) {
        if (SocketFiles.isDirectory(folder)
            && (folder.equals(root) || !SocketFiles.hidden(folder))) {
          folders.put(folder.register(service, ENTRY_CREATE, ENTRY_DELETE), folder);
        }
      }
    } catch (UncheckedIOException e) {
      log.debug("Folder changed while walking {}", top, e);
    }
  }

  private void collectSockets(Path top, Map<Path, Object> into) throws IOException {
    if (!SocketFiles.isDirectory(top)) {
      return;
    }
    try (Stream<Path> tree = Files.walk(top)) {
      tree.filter(p -> !p.equals(top) || !top.equals(root))
          .filter(p -> !hiddenBelowRoot(p))
          .forEach(
              p -> {
                Object key = SocketFiles.socketKey(p);
                if (key != null) {
                  into.put(p, key);
                }
              });
    } catch (UncheckedIOException e) {
      log.debug("Folder changed while walking {}", top, e);
    }
  }

  private boolean hiddenBelowRoot(Path path) {
    Path relative = root.relativize(path);
    for (Path part : relative) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private void created(Path socket) {
    try {
      listener.socketCreated(socket);
    } catch (RuntimeException e) {
      log.warn("Handling new socket {} failed", socket, e);
    }
  }

  private void removed(Path socket) {
    try {
      listener.socketRemoved(socket);
    } catch (RuntimeException e) {
      log.warn("Handling removed socket {} failed", socket, e);
    }
  }

  private void createRoot() throws IOException {
    if (!Files.isDirectory(root)) {
      Files.createDirectories(
          root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    }
  }
}
