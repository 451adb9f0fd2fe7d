package io.dranode.agent.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.cleanup.WipeHistory;
import io.dranode.agent.cleanup.WipeRecord;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.testing.Stores;
import io.dranode.agent.watch.RegistryWatcher;
import io.dranode.example.ExampleDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Plugins that die, flap or lose their folder, against the whole agent: real sockets, the real
 * connection monitor, real wipes against the CRUD mock.
 */
@Tag("faults")
class PluginLifeFaultsTest {

  static final Duration WAIT = Duration.ofSeconds(15);

  RunningAgent agent;
  final List<AgentEvent> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void prepare() throws IOException {
    agent = new RunningAgent();
  }

  @AfterEach
  void close() throws IOException {
    agent.close();
  }

  private void start(Duration wipeDelay) {
    agent.start("--dra.agent.wipe.delay=" + wipeDelay.toMillis() + "ms");
    agent.bean(EventBus.class).subscribe(events::add);
  }

  /**
   * A driver killed after registering leaves dead sockets behind: its connection drops, it stays
   * registered but unusable, and its slices (only its) are wiped one grace period later. Started
   * again, it replaces its stale socket and is registered and usable again.
   */
  @Test
  void aPluginThatCrashesIsDisconnectedThenWipedAndComesBack() throws Exception {
    start(Duration.ofSeconds(1));
    PluginStore store = agent.bean(PluginStore.class);
    PendingWipes wipes = agent.bean(PendingWipes.class);
    ExampleDriver crashing = agent.driver("crash.example.com");
    agent.driver("stay.example.com");
    await().atMost(WAIT).until(() -> Stores.usable(store, "crash.example.com"));
    await().atMost(WAIT).until(() -> Stores.usable(store, "stay.example.com"));
    Set<String> staySlices = agent.slicesOf("stay.example.com");
    assertThat(agent.slicesOf("crash.example.com")).hasSize(1);

    crashing.crash();

    await().atMost(WAIT).until(() -> has(AgentEvent.Type.DISCONNECTED, "crash.example.com"));
    await().atMost(WAIT).until(() -> agent.slicesOf("crash.example.com").isEmpty());
    DriverView dead = store.driver("crash.example.com").orElseThrow();
    assertThat(dead.usable()).isFalse();
    assertThat(dead.instances())
        .extracting(PluginInstance::connection)
        .containsExactly(ConnectionState.DISCONNECTED);
    // The slice is gone at the server a moment before the wipe records its result: wait for it.
    await()
        .atMost(WAIT)
        .until(
            () ->
                agent.bean(WipeHistory.class).recent().stream()
                    .anyMatch(r -> r.driver().equals("crash.example.com")));
    assertThat(agent.bean(WipeHistory.class).recent())
        .filteredOn(r -> r.driver().equals("crash.example.com"))
        .first()
        .extracting(WipeRecord::result)
        .isEqualTo(WipeRecord.Result.DELETED);
    assertThat(agent.slicesOf("stay.example.com")).isEqualTo(staySlices);
    assertThat(Stores.usable(store, "stay.example.com")).isTrue();

    ExampleDriver restarted = agent.driver("crash.example.com");

    await().atMost(WAIT).until(() -> Stores.usable(store, "crash.example.com"));
    assertThat(store.driver("crash.example.com").orElseThrow().instances()).hasSize(1);
    assertThat(restarted.awaitRegistered(WAIT)).isTrue();
    assertThat(agent.slicesOf("crash.example.com")).hasSize(1); // published again on start
    assertThat(wipes.pendingFor("crash.example.com")).isEmpty();
  }

  /**
   * One registration socket created and removed 100 times a second for 10 s. Afterwards the store
   * matches the folder (present: registered once and connected; absent: not registered) and no file
   * descriptor or thread was leaked: every registration connection and every DRA channel opened
   * meanwhile was closed.
   */
  @Test
  void aSocketFlappingAHundredTimesASecond() throws Exception {
    start(Duration.ofMinutes(1));
    PluginStore store = agent.bean(PluginStore.class);
    ExampleDriver flapping = agent.driver("flap.example.com");
    await().atMost(WAIT).until(() -> Stores.usable(store, "flap.example.com"));
    Path socket = flapping.registrationSocket();
    // A second name for the same socket; the watcher ignores dot-files.
    Path hold = Files.createLink(socket.resolveSibling(".flap-hold.sock"), socket);
    long fdsBefore = RunningAgent.openFileDescriptors();
    int threadsBefore = Thread.activeCount();

    AtomicInteger toggles = new AtomicInteger();
    ScheduledExecutorService flapper = Executors.newSingleThreadScheduledExecutor();
    try {
      ScheduledFuture<?> running =
          flapper.scheduleAtFixedRate(
              () -> {
                try {
                  if (toggles.get() >= 2000) {
                    return;
                  }
                  if (toggles.getAndIncrement() % 2 == 0) {
                    Files.delete(socket);
                  } else {
                    Files.createLink(socket, hold);
                  }
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              },
              5,
              5,
              TimeUnit.MILLISECONDS);
      await().atMost(Duration.ofSeconds(30)).until(() -> toggles.get() >= 2000 || running.isDone());
      assertThat(running.isDone()).as("the flapper failed").isFalse();
    } finally {
      flapper.shutdownNow();
      flapper.awaitTermination(5, TimeUnit.SECONDS);
    }
    assertThat(Files.exists(socket)).isTrue(); // an even number of toggles: present

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              DriverView view = store.driver("flap.example.com").orElseThrow();
              assertThat(view.instances()).hasSize(1);
              assertThat(view.instances().get(0).connection()).isEqualTo(ConnectionState.CONNECTED);
            });
    long registered = count(AgentEvent.Type.REGISTERED, "flap.example.com");
    long deregistered = count(AgentEvent.Type.DEREGISTERED, "flap.example.com");
    assertThat(registered - deregistered).isEqualTo(1);
    await().atMost(WAIT).until(() -> RunningAgent.openFileDescriptors() <= fdsBefore + 10);
    assertThat(Thread.activeCount()).isLessThanOrEqualTo(threadsBefore + 5);
    System.out.printf(
        "flapping: %d toggles, %d registrations, %d deregistrations, %d refusals; fds %d -> %d,"
            + " threads %d -> %d%n",
        toggles.get(),
        registered,
        deregistered,
        count(AgentEvent.Type.REJECTED, "flap.example.com"),
        fdsBefore,
        RunningAgent.openFileDescriptors(),
        threadsBefore,
        Thread.activeCount());

    Files.delete(socket);

    await().atMost(WAIT).until(() -> store.driver("flap.example.com").isEmpty());
    assertThat(store.rejections()).isEmpty();
  }

  /**
   * The registry folder deleted while the agent runs: every plugin in it is deregistered, the
   * folder is re-created and watched again, and a plugin whose socket comes back is registered
   * again (its wipe cancelled); one that does not come back keeps its pending wipe.
   */
  @Test
  void theRegistryFolderRemovedAndRecreated() throws Exception {
    start(Duration.ofMinutes(1));
    PluginStore store = agent.bean(PluginStore.class);
    PendingWipes wipes = agent.bean(PendingWipes.class);
    RegistryWatcher watcher = agent.bean(RegistryWatcher.class);
    ExampleDriver back = agent.driver("back.example.com");
    agent.driver("gone.example.com");
    await().atMost(WAIT).until(() -> Stores.usable(store, "back.example.com"));
    await().atMost(WAIT).until(() -> Stores.usable(store, "gone.example.com"));
    long rescans = watcher.rescans();

    deleteTree(watcher.root());

    await().atMost(WAIT).until(() -> store.drivers().isEmpty());
    await().atMost(WAIT).until(() -> Files.isDirectory(watcher.root()));
    assertThat(watcher.rescans()).isGreaterThan(rescans);
    assertThat(wipes.pendingFor("back.example.com")).isPresent();
    assertThat(wipes.pendingFor("gone.example.com")).isPresent();

    back.close(); // its server was still listening on a socket that no longer had a name
    agent.driver("back.example.com");

    await().atMost(WAIT).until(() -> Stores.usable(store, "back.example.com"));
    assertThat(wipes.pendingFor("back.example.com")).isEmpty();
    assertThat(wipes.pendingFor("gone.example.com")).isPresent();
    assertThat(store.drivers()).extracting(DriverView::driver).containsExactly("back.example.com");
    assertThat(watcher.healthy()).isTrue();
  }

  private boolean has(AgentEvent.Type type, String driver) {
    return count(type, driver) > 0;
  }

  private long count(AgentEvent.Type type, String driver) {
    return events.stream().filter(e -> e.type() == type && e.driver().equals(driver)).count();
  }

  private static void deleteTree(Path top) throws IOException {
    try (Stream<Path> tree = Files.walk(top)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
