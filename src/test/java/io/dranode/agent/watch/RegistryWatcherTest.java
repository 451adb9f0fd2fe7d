package io.dranode.agent.watch;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.testing.TestProperties;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/**
 * The watcher on a real folder with real Unix sockets. Sockets are bound and closed at once: the
 * socket file stays, which is all the watcher looks at. Absence of an event is shown with a
 * sentinel: events of one folder arrive in order, so when the sentinel comes first, nothing was
 * reported for what was created before it.
 */
class RegistryWatcherTest {

  enum Kind {
    CREATED,
    REMOVED
  }

  record Event(Kind kind, Path socket) {}

  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final RegistryListener recorder =
      new RegistryListener() {
        @Override
        public void socketCreated(Path socket) {
          events.add(new Event(Kind.CREATED, socket));
        }

        @Override
        public void socketRemoved(Path socket) {
          events.add(new Event(Kind.REMOVED, socket));
        }
      };

  private Path root;
  private Path registry;
  private ThreadPoolTaskExecutor executor;
  private RegistryWatcher watcher;

  @BeforeEach
  void setUp() throws IOException {
    // Unix socket paths must stay under 108 bytes: a short folder right under /tmp.
    root = Files.createTempDirectory(Path.of("/tmp"), "w");
    registry = root.resolve("plugins_registry");
    executor = new ThreadPoolTaskExecutor();
    executor.setCorePoolSize(1);
    executor.setThreadNamePrefix("dra-watch-");
    executor.setAwaitTerminationSeconds(5);
    executor.initialize();
    AgentProperties properties = TestProperties.of("dra.agent.kubelet-root-dir=" + root);
    watcher = new RegistryWatcher(properties, recorder, executor);
  }

  @AfterEach
  void tearDown() throws IOException {
    watcher.stop();
    executor.shutdown();
    deleteTree(root);
  }

  @Test
  void theInitialScanFindsExistingSocketsAlsoInSubFolders() throws IOException {
    Path top = socket(registry.resolve("a.sock"));
    Path sub = socket(registry.resolve("sub/b.sock"));
    Path deep = socket(registry.resolve("sub/deeper/c.sock"));

    watcher.start();

    // The initial scan reports synchronously, before start() returns.
    assertThat(drain()).containsExactlyInAnyOrder(created(top), created(sub), created(deep));
    assertThat(watcher.initialScanDone()).isTrue();
    assertThat(watcher.healthy()).isTrue();
    assertThat(watcher.root()).isEqualTo(registry);
  }

  @Test
  void theRegistryFolderIsCreatedIfMissing() throws Exception {
    assertThat(registry).doesNotExist();

    watcher.start();

    assertThat(registry).isDirectory();
    assertThat(Files.getPosixFilePermissions(registry))
        .contains(
            PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE)
        .doesNotContain(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
    Path late = socket(registry.resolve("late.sock"));
    assertThat(next()).isEqualTo(created(late));
  }

  @Test
  void dotFilesAndDotFoldersAreSkipped() throws Exception {
    socket(registry.resolve(".hidden.sock"));
    socket(registry.resolve(".hidden/inside.sock"));
    watcher.start();
    assertThat(drain()).isEmpty();

    socket(registry.resolve(".late-hidden.sock"));
    socket(registry.resolve(".hidden/late-inside.sock"));
    Files.createDirectories(registry.resolve(".new-hidden"));
    socket(registry.resolve(".new-hidden/x.sock"));
    Path sentinel = socket(registry.resolve("sentinel.sock"));

    assertThat(next()).isEqualTo(created(sentinel));
    assertThat(drain()).isEmpty();
  }

  @Test
  void regularFilesFifosAndSymlinksAreSkipped() throws Exception {
    Path target = socket(root.resolve("elsewhere.sock"));
    Files.createDirectories(registry);
    Files.writeString(registry.resolve("regular.sock"), "not a socket");
    mkfifo(registry.resolve("fifo.sock"));
    Files.createSymbolicLink(registry.resolve("link.sock"), target);
    watcher.start();
    assertThat(drain()).isEmpty();

    Files.writeString(registry.resolve("regular-late.sock"), "not a socket");
    mkfifo(registry.resolve("fifo-late.sock"));
    Files.createSymbolicLink(registry.resolve("link-late.sock"), target);
    Path sentinel = socket(registry.resolve("sentinel.sock"));

    assertThat(next()).isEqualTo(created(sentinel));
    assertThat(drain()).isEmpty();
  }

  @Test
  void aNewSubFolderWithASocketInsideIsFound() throws Exception {
    watcher.start();

    Path first = socket(registry.resolve("new/first.sock"));
    assertThat(next()).isEqualTo(created(first));

    Path deep = socket(registry.resolve("other/deeper/still/deep.sock"));
    assertThat(next()).isEqualTo(created(deep));

    // The new folders are watched from now on.
    Path second = socket(registry.resolve("new/second.sock"));
    assertThat(next()).isEqualTo(created(second));
    Path third = socket(registry.resolve("other/deeper/still/third.sock"));
    assertThat(next()).isEqualTo(created(third));
  }

  @Test
  void aSocketDeletedAndRecreatedIsReportedRemovedThenCreated() throws Exception {
    Path sock = socket(registry.resolve("sub/plugin.sock"));
    watcher.start();
    assertThat(drain()).containsExactly(created(sock));

    Files.delete(sock);
    socket(sock);

    assertThat(next()).isEqualTo(removed(sock));
    assertThat(next()).isEqualTo(created(sock));
  }

  @Test
  void aRemovedSocketIsReportedRemoved() throws Exception {
    Path sock = socket(registry.resolve("plugin.sock"));
    Path other = socket(registry.resolve("other.sock"));
    watcher.start();
    assertThat(drain()).hasSize(2);

    Files.delete(sock);

    assertThat(next()).isEqualTo(removed(sock));
    Files.delete(other);
    assertThat(next()).isEqualTo(removed(other));
  }

  @Test
  void aRemovedSubFolderReportsItsSocketsRemoved() throws Exception {
    Path a = socket(registry.resolve("sub/a.sock"));
    Path b = socket(registry.resolve("sub/deeper/b.sock"));
    watcher.start();
    assertThat(drain()).hasSize(2);

    deleteTree(registry.resolve("sub"));

    assertThat(List.of(next(), next())).containsExactlyInAnyOrder(removed(a), removed(b));
  }

  @Test
  void aBurstOf200SocketsIsReportedCompletelyAndOnce() throws Exception {
    watcher.start();
    Set<Event> expected = new HashSet<>();

    for (int i = 0; i < 100; i++) {
      expected.add(created(socket(registry.resolve("s" + i + ".sock"))));
      // The sub-folder appears with the first of its sockets, while the burst goes on.
      expected.add(created(socket(registry.resolve("burst/s" + i + ".sock"))));
    }

    List<Event> seen = new ArrayList<>();
    while (seen.size() < expected.size()) {
      seen.add(next());
    }
    Path sentinel = socket(registry.resolve("burst/sentinel.sock"));
    Event event;
    while (!(event = next()).equals(created(sentinel))) {
      seen.add(event);
    }
    assertThat(new HashSet<>(seen)).isEqualTo(expected);
    assertThat(seen).as("each socket reported once").doesNotHaveDuplicates();
  }

  @Test
  void aSubFolderRemovedAndRecreatedIsReportedAgain() throws Exception {
    Path sock = socket(registry.resolve("driver/plugin.sock"));
    watcher.start();
    assertThat(drain()).containsExactly(created(sock));

    deleteTree(registry.resolve("driver"));
    assertThat(next()).isEqualTo(removed(sock));

    socket(sock);
    assertThat(next()).isEqualTo(created(sock));
  }

  @Test
  void theRegistryFolderRemovedAndRecreatedIsRescanned() throws Exception {
    Path top = socket(registry.resolve("top.sock"));
    Path sub = socket(registry.resolve("sub/plugin.sock"));
    watcher.start();
    assertThat(drain()).hasSize(2);
    long rescansBefore = watcher.rescans();

    deleteTree(registry);
    assertThat(List.of(next(), next())).containsExactlyInAnyOrder(removed(top), removed(sub));

    // Whoever re-creates the folder first (the watcher or we), what is in it is reported.
    Path again = socket(registry.resolve("sub/plugin.sock"));
    Path fresh = socket(registry.resolve("fresh.sock"));
    assertThat(List.of(next(), next())).containsExactlyInAnyOrder(created(again), created(fresh));
    await().atMost(Duration.ofSeconds(5)).until(() -> watcher.rescans() > rescansBefore);
    assertThat(watcher.healthy()).isTrue();

    // And the new folder is watched.
    Path later = socket(registry.resolve("later.sock"));
    assertThat(next()).isEqualTo(created(later));
  }

  /**
   * A plugin still listening on a socket in the deleted folder keeps the folder's inode alive, so
   * inotify never invalidates its watch: the watcher must notice by itself, re-create the folder
   * and watch the new one.
   */
  @Test
  void theRegistryFolderRemovedWhileAPluginStillListensIsRecreatedAndWatched() throws Exception {
    Files.createDirectories(registry);
    try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      Path socket = registry.resolve("live.sock");
      live.bind(UnixDomainSocketAddress.of(socket));
      watcher.start();
      assertThat(drain()).containsExactly(created(socket));
      long rescansBefore = watcher.rescans();

      deleteTree(registry);

      assertThat(next()).isEqualTo(removed(socket));
      await().atMost(Duration.ofSeconds(5)).until(() -> Files.isDirectory(registry));
      await().atMost(Duration.ofSeconds(5)).until(() -> watcher.rescans() > rescansBefore);
      Path later = socket(registry.resolve("later.sock"));
      assertThat(next()).isEqualTo(created(later));
      assertThat(watcher.healthy()).isTrue();
    }
  }

  @Test
  void stopEndsTheWatchThread() throws Exception {
    watcher.start();
    assertThat(watcher.isRunning()).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> !watchThreads().isEmpty());

    watcher.stop();

    assertThat(watcher.isRunning()).isFalse();
    assertThat(watcher.healthy()).isFalse();
    // stop() waits for the loop: the pool must have no running task left. A graceful shutdown
    // (no interrupt) then lets the idle thread end; a loop still running would keep it alive.
    await().atMost(Duration.ofSeconds(5)).until(() -> executor.getActiveCount() == 0);
    executor.setWaitForTasksToCompleteOnShutdown(true);
    executor.shutdown();
    await().atMost(Duration.ofSeconds(5)).until(() -> watchThreads().isEmpty());
  }

  // --- helpers ---

  private static List<Thread> watchThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(t -> t.getName().startsWith("dra-watch-"))
        .toList();
  }

  private Event next() throws InterruptedException {
    Event event = events.poll(5, SECONDS);
    if (event == null) {
      throw new AssertionError("no event within 5 s; seen since: " + drain());
    }
    return event;
  }

  private List<Event> drain() {
    List<Event> all = new ArrayList<>();
    events.drainTo(all);
    return all;
  }

  private static Event created(Path socket) {
    return new Event(Kind.CREATED, socket);
  }

  private static Event removed(Path socket) {
    return new Event(Kind.REMOVED, socket);
  }

  /** Creates the socket's file (and its folders); the socket is closed, its file stays. */
  private static Path socket(Path path) throws IOException {
    Files.createDirectories(path.getParent());
    try (ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.bind(UnixDomainSocketAddress.of(path));
    }
    return path;
  }

  private static void mkfifo(Path path) throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
    assertThat(process.waitFor()).as("mkfifo exit code").isZero();
  }

  private static void deleteTree(@Nullable Path top) throws IOException {
    if (top == null || !Files.exists(top)) {
      return;
    }
    try (Stream<Path> tree = Files.walk(top)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
