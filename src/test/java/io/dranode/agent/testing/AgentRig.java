package io.dranode.agent.testing;

import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.config.TestChannels;
import io.dranode.agent.config.TestSchedulers;
import io.dranode.agent.config.UnixChannels;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.PluginStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

/**
 * The parts of the agent that every hand-wired test needs, built as the application builds them: a
 * kubelet root (a short folder directly under {@code /tmp}, so socket paths stay under 108 bytes),
 * a clock, the event bus with every event it carried, the store, the Unix-socket channels, a real
 * scheduler and named pools, and event loops for the {@link FakePlugin}s it serves. The components
 * under test are wired on top by the test's own rig; {@link #close()} stops them first, in reverse
 * order, then the plugins, then its own parts, and deletes the folder.
 */
public final class AgentRig implements AutoCloseable {

  /**
   * Where {@link #clock} starts, and stays unless a test moves it: years ahead, so that a timestamp
   * taken from it is exact, and a retry timed by it instead of by the scheduler would never come.
   */
  public static final Instant START = Instant.parse("2030-01-01T00:00:00Z");

  public final Path root;
  public final MutableClock clock = new MutableClock(START);
  public final EventBus bus = new EventBus();
  public final List<AgentEvent> events = new CopyOnWriteArrayList<>();
  public final PluginStore store;
  public final UnixChannels channels;

  /** The production scheduling seam on a real scheduler, with instants of {@link #clock}. */
  public final AgentScheduler scheduler;

  private final EventLoops pluginLoops = EventLoops.start(2, "test-plugin");
  private final ThreadPoolTaskExecutor grpcExecutor = pool("grpc-", 4);
  private final ThreadPoolTaskScheduler taskScheduler = new ThreadPoolTaskScheduler();
  private final List<ThreadPoolTaskExecutor> pools = new ArrayList<>();
  private final Deque<SmartLifecycle> components = new ArrayDeque<>();
  private final Deque<AutoCloseable> owned = new ArrayDeque<>();

  public AgentRig() throws IOException {
    root = Files.createTempDirectory(Path.of("/tmp"), "a");
    bus.subscribe(events::add);
    store = new PluginStore(bus, clock, List.of());
    channels = TestChannels.create(EventLoops.start(2, "dra-grpc-io").group(), grpcExecutor);
    taskScheduler.setPoolSize(2);
    taskScheduler.setThreadNamePrefix("dra-scheduler-");
    taskScheduler.initialize();
    scheduler = TestSchedulers.on(taskScheduler, clock);
  }

  /** A pool of {@code threads} threads named {@code dra-<name>…}, shut down with the rig. */
  public ThreadPoolTaskExecutor executor(String name, int threads) {
    ThreadPoolTaskExecutor executor = pool(name, threads);
    pools.add(executor);
    return executor;
  }

  /** Starts the component now and stops it with the rig, before anything else. */
  public <T extends SmartLifecycle> T start(T component) {
    component.start();
    components.push(component);
    return component;
  }

  /** Stops the component with the rig, as {@link #start} does, without starting it now. */
  public <T extends SmartLifecycle> T stopsWith(T component) {
    components.push(component);
    return component;
  }

  /** Closes this with the rig, after the components, in reverse order of adding. */
  public <T extends AutoCloseable> T own(T closeable) {
    owned.push(closeable);
    return closeable;
  }

  /** A fake plugin on the rig's event loops, closed with the rig once started. */
  public FakePlugin.Builder plugin(Path socket) {
    return new FakePlugin.Builder(socket, pluginLoops.group(), this::own);
  }

  @Override
  public void close() throws Exception {
    Closing closing = new Closing();
    components.forEach(component -> closing.run(component::stop));
    owned.forEach(closeable -> closing.run(closeable::close));
    closing.run(taskScheduler::shutdown);
    pools.forEach(pool -> closing.run(pool::shutdown));
    closing.run(channels::close);
    closing.run(grpcExecutor::shutdown);
    closing.run(pluginLoops::close);
    closing.run(this::deleteRoot);
    closing.rethrow();
  }

  private void deleteRoot() throws IOException {
    try (Stream<Path> tree = Files.walk(root)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static ThreadPoolTaskExecutor pool(String name, int threads) {
    ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
    executor.setCorePoolSize(threads);
    executor.setMaxPoolSize(threads);
    executor.setThreadNamePrefix("dra-" + name);
    executor.setAwaitTerminationSeconds(5);
    executor.setDaemon(true);
    executor.initialize();
    return executor;
  }

  /** Every step runs even when one before it failed; the first failure is thrown at the end. */
  private static final class Closing {
    private @Nullable Exception failure;

    void run(Step step) {
      try {
        step.run();
      } catch (Exception e) {
        Exception first = failure;
        if (first == null) {
          failure = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }

    void rethrow() throws Exception {
      Exception first = failure;
      if (first != null) {
        throw first;
      }
    }
  }

  private interface Step {
    void run() throws Exception;
  }
}
