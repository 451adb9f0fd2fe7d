package io.dranode.agent.registration;

import static io.dranode.agent.registration.RegistrationRig.NOW;
import static io.dranode.agent.registration.RegistrationRig.WAIT;
import static io.dranode.agent.registration.RegistrationRig.dra;
import static io.dranode.agent.registration.RegistrationRig.info;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.config.AgentProperties.Mode;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.plugin.ConnectionState;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.IgnoredSocket;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.testing.FakePlugin;
import io.dranode.agent.testing.Notification;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The handler against fake plugins that are real gRPC servers on Unix sockets, on the {@link
 * RegistrationRig}. Sockets are reported by calling the handler directly (the watcher has its own
 * test), except in the one end-to-end test. The rig's clock stands still at {@link
 * RegistrationRig#NOW}, years ahead: timestamps are exact, and retries must be timed by the
 * scheduler's own clock, not by this one.
 */
class RegistrationHandlerTest {

  private RegistrationRig rig;

  @BeforeEach
  void setUp() throws Exception {
    rig = new RegistrationRig();
  }

  @AfterEach
  void tearDown() throws Exception {
    rig.close();
  }

  // --- registrar ---

  @Test
  void aValidPluginIsRegisteredAndNotified() throws Exception {
    String endpoint = rig.endpoint("gpu.example.com");
    FakePlugin gpu =
        rig.serve(
            "gpu.example.com-reg.sock",
            dra("gpu.example.com", endpoint, "v1.DRAPlugin", "v1alpha1.DRAResourceHealth"));
    RegistrationHandler handler = rig.startHandler(Mode.REGISTRAR);

    handler.socketCreated(gpu.socket());

    DriverView view = rig.awaitDriver("gpu.example.com");
    assertThat(view.instances())
        .containsExactly(
            new PluginInstance(
                "gpu.example.com",
                endpoint,
                gpu.socket(),
                "v1.DRAPlugin",
                "v1alpha1.DRAResourceHealth",
                NOW,
                ConnectionState.CONNECTING));
    Notification status = gpu.notifications().next();
    assertThat(status.registered()).isTrue();
    assertThat(status.error()).isEmpty();
    assertThat(rig.store.rejections()).isEmpty();
  }

  @Test
  void anInvalidDriverNameIsRefusedAndTheReasonSentBack() throws Exception {
    FakePlugin bad = rig.serve("bad.sock", dra("Bad_Name", rig.endpoint("bad"), "v1.DRAPlugin"));
    RegistrationHandler handler = rig.startHandler(Mode.REGISTRAR);

    handler.socketCreated(bad.socket());

    Rejection rejection = rig.awaitRejection(bad.socket(), r -> !r.retrying());
    assertThat(rejection.reason()).contains("invalid DRA driver name").contains("Bad_Name");
    assertThat(rejection.retrying()).isFalse();
    assertThat(rejection.attempts()).isEqualTo(1);
    assertThat(rejection.lastAttemptAt()).isEqualTo(NOW);
    Notification status = bad.notifications().next();
    assertThat(status.registered()).isFalse();
    assertThat(status.error()).isEqualTo(rejection.reason());
    assertThat(rig.store.drivers()).isEmpty();
    assertThat(rig.events)
        .extracting(AgentEvent::type, AgentEvent::endpoint)
        .containsExactly(tuple(AgentEvent.Type.REJECTED, bad.socket().toString()));
  }

  @Test
  void anEmptyEndpointMeansTheRegistrationSocket() throws Exception {
    FakePlugin plugin = rig.serve("self.sock", dra("self.example.com", "", "v1beta1.DRAPlugin"));
    RegistrationHandler handler = rig.startHandler(Mode.REGISTRAR);

    handler.socketCreated(plugin.socket());

    DriverView view = rig.awaitDriver("self.example.com");
    assertThat(view.activeEndpoint()).isEqualTo(plugin.socket().toString());
    assertThat(view.instances().get(0).service()).isEqualTo("v1beta1.DRAPlugin");
    assertThat(plugin.notifications().next().registered()).isTrue();
  }

  @Test
  void theSameEndpointFromASecondSocketIsRefused() throws Exception {
    String shared = rig.endpoint("shared.example.com");
    FakePlugin first = rig.serve("first.sock", dra("shared.example.com", shared, "v1.DRAPlugin"));
    FakePlugin second = rig.serve("second.sock", dra("shared.example.com", shared, "v1.DRAPlugin"));
    RegistrationHandler handler = rig.startHandler(Mode.REGISTRAR);

    handler.socketCreated(first.socket());
    rig.awaitDriver("shared.example.com");
    assertThat(first.notifications().next().registered()).isTrue();
    handler.socketCreated(second.socket());

    Rejection rejection = rig.awaitRejection(second.socket(), r -> !r.retrying());
    assertThat(rejection.reason()).contains("already registered");
    assertThat(rejection.driver()).isEqualTo("shared.example.com");
    assertThat(rejection.retrying()).isFalse();
    Notification status = second.notifications().next();
    assertThat(status.registered()).isFalse();
    assertThat(status.error()).isEqualTo(rejection.reason());
    assertThat(rig.store.driver("shared.example.com").orElseThrow().instances())
        .extracting(PluginInstance::registrationSocket)
        .containsExactly(first.socket());
  }

  @Test
  void aRecreatedSocketReplacesItsOldRegistration() throws Exception {
    String oldEndpoint = rig.endpoint("drv.example.com/old");
    String newEndpoint = rig.endpoint("drv.example.com/new");
    FakePlugin old = rig.serve("drv.sock", dra("drv.example.com", oldEndpoint, "v1.DRAPlugin"));
    RegistrationHandler handler = rig.startHandler(Mode.REGISTRAR);
    handler.socketCreated(old.socket());
    rig.awaitDriver("drv.example.com");

    old.close();
    FakePlugin replacement =
        rig.serve("drv.sock", dra("drv.example.com", newEndpoint, "v1.DRAPlugin"));
    handler.socketCreated(replacement.socket());

    await()
        .atMost(WAIT)
        .until(
            () ->
                rig.store
                    .driver("drv.example.com")
                    .map(v -> v.instances().stream().map(PluginInstance::endpoint).toList())
                    .equals(Optional.of(List.of(newEndpoint))));
    assertThat(rig.events)
        .extracting(AgentEvent::type, AgentEvent::endpoint)
        .containsExactly(
            tuple(AgentEvent.Type.REGISTERED, oldEndpoint),
            tuple(AgentEvent.Type.DEREGISTERED, oldEndpoint),
            tuple(AgentEvent.Type.REGISTERED, newEndpoint));
    assertThat(replacement.notifications().next().registered()).isTrue();
  }

  @Test
  void aRemovedSocketIsDeregistered() throws Exception {
    String endpoint = rig.endpoint("gone.example.com");
    FakePlugin plugin = rig.serve("gone.sock", dra("gone.example.com", endpoint, "v1.DRAPlugin"));
    FakePlugin bad = rig.serve("bad.sock", dra("", endpoint, "v1.DRAPlugin"));
    RegistrationHandler handler = rig.startHandler(Mode.REGISTRAR);
    handler.socketCreated(plugin.socket());
    handler.socketCreated(bad.socket());
    rig.awaitDriver("gone.example.com");
    rig.awaitRejection(bad.socket(), r -> !r.retrying());

    handler.socketRemoved(plugin.socket());
    handler.socketRemoved(bad.socket());

    // Deregistration is synchronous: no waiting.
    assertThat(rig.store.drivers()).isEmpty();
    assertThat(rig.store.rejections()).isEmpty();
    assertThat(rig.events)
        .filteredOn(e -> e.type() == AgentEvent.Type.DEREGISTERED)
        .extracting(AgentEvent::endpoint, AgentEvent::detail)
        .containsExactly(tuple(endpoint, "registration socket removed"));
  }

  @Test
  void aHangingPluginIsRetriedWhileAnotherRegisters() throws Exception {
    FakePlugin slow =
        rig.serve("slow.sock", dra("slow.example.com", rig.endpoint("slow"), "v1.DRAPlugin"));
    slow.registration().hang();
    FakePlugin quick =
        rig.serve("quick.sock", dra("quick.example.com", rig.endpoint("quick"), "v1.DRAPlugin"));
    RegistrationHandler handler = rig.startHandler(Mode.REGISTRAR, Duration.ofMillis(200));

    handler.socketCreated(slow.socket());
    handler.socketCreated(quick.socket());

    rig.awaitDriver("quick.example.com");
    assertThat(quick.notifications().next().registered()).isTrue();
    Rejection rejection = rig.awaitRejection(slow.socket(), r -> r.attempts() >= 3);
    assertThat(rejection.retrying()).isTrue();
    assertThat(rejection.reason()).contains("DEADLINE_EXCEEDED");
    assertThat(rejection.driver()).isNull();
    assertThat(slow.registration().getInfoCalls()).isGreaterThanOrEqualTo(3);
    assertThat(rig.store.driver("slow.example.com")).isEmpty();

    slow.registration()
        .answer(dra("slow.example.com", rig.endpoint("slow-at-last"), "v1.DRAPlugin"));
    slow.registration().release();

    DriverView view = rig.awaitDriver("slow.example.com");
    assertThat(view.activeEndpoint()).isEqualTo(rig.endpoint("slow-at-last"));
    assertThat(slow.notifications().next().registered()).isTrue();
    assertThat(rig.store.rejections()).isEmpty();
  }

  @Test
  void aSocketWhoseServerListensLateIsRetriedQuicklyAndRegisters() throws Exception {
    Path socket = rig.registry.resolve("late.sock");
    // The file of a socket nobody listens on: what the watcher sees between bind() and listen().
    try (ServerSocketChannel notYet = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      notYet.bind(UnixDomainSocketAddress.of(socket));
    }
    RetryRecorder retries = new RetryRecorder();
    RegistrationHandler handler = rig.startHandler(Mode.REGISTRAR, Duration.ofSeconds(5), retries);

    handler.socketCreated(socket);

    // The first dial was refused: a quick retry is due, well before the backoff's first 50 ms,
    // and a refused dial this early is not reported as a rejection.
    Retry retry = retries.next();
    assertThat(retry.delay()).isPositive().isLessThan(Duration.ofMillis(50));
    assertThat(rig.store.rejections()).isEmpty();

    Files.delete(socket);
    FakePlugin late =
        rig.serve("late.sock", dra("late.example.com", rig.endpoint("late"), "v1.DRAPlugin"));
    retry.task().run();

    rig.awaitDriver("late.example.com");
    assertThat(late.notifications().next().registered()).isTrue();
    assertThat(rig.store.rejections()).isEmpty();
    assertThat(late.registration().getInfoCalls()).isEqualTo(1);
  }

  @Test
  void anOversizedAnswerIsRefusedAndTheReasonSentBack() throws Exception {
    // More than RegistrationClient.MAX_MESSAGE_BYTES: refused unread, not retried.
    FakePlugin big =
        rig.serve("big.sock", dra("a".repeat(100 * 1024), rig.endpoint("big"), "v1.DRAPlugin"));
    RegistrationHandler handler = rig.startHandler(Mode.REGISTRAR);

    handler.socketCreated(big.socket());

    Rejection rejection = rig.awaitRejection(big.socket(), r -> !r.retrying());
    assertThat(rejection.reason()).startsWith("RESOURCE_EXHAUSTED");
    assertThat(rejection.attempts()).isEqualTo(1);
    Notification status = big.notifications().next();
    assertThat(status.registered()).isFalse();
    assertThat(status.error()).isEqualTo(rejection.reason());
  }

  @Test
  void aPluginWithoutTheRegistrationServiceIsRefusedNotRetried() throws Exception {
    // A plain gRPC server (here: the fake of a DRA service socket) answers UNIMPLEMENTED.
    FakePlugin other = rig.serveNothingAt(rig.registry.resolve("wrong.sock"));
    RegistrationHandler handler = rig.startHandler(Mode.REGISTRAR);

    handler.socketCreated(other.socket());

    Rejection rejection = rig.awaitRejection(other.socket(), r -> !r.retrying());
    assertThat(rejection.reason()).contains("UNIMPLEMENTED");
    assertThat(rejection.retrying()).isFalse();
    assertThat(rejection.attempts()).isEqualTo(1);
  }

  // --- plugin types and modes ---

  @Test
  void theRegistrarRefusesACsiPluginWithAReason() throws Exception {
    FakePlugin csi = rig.serve("csi.sock", info("CSIPlugin", "csi.example.com", "", "1.0.0"));
    RegistrationHandler handler = rig.startHandler(Mode.REGISTRAR);

    handler.socketCreated(csi.socket());

    Rejection rejection = rig.awaitRejection(csi.socket(), r -> !r.retrying());
    assertThat(rejection.reason()).contains("CSIPlugin").contains("not handled");
    assertThat(rejection.retrying()).isFalse();
    Notification status = csi.notifications().next();
    assertThat(status.registered()).isFalse();
    assertThat(status.error()).isEqualTo(rejection.reason());
    assertThat(rig.store.ignoredSockets()).isEmpty();
  }

  @Test
  void theObserverListsACsiPluginAsIgnoredAndNeverNotifiesIt() throws Exception {
    FakePlugin csi = rig.serve("csi.sock", info("CSIPlugin", "csi.example.com", "", "1.0.0"));
    RegistrationHandler handler = rig.startHandler(Mode.OBSERVER);

    handler.socketCreated(csi.socket());

    await().atMost(WAIT).until(() -> !rig.store.ignoredSockets().isEmpty());
    // Untrusted input: shown cleaned (control characters escaped, length capped).
    assertThat(rig.store.ignoredSockets())
        .containsExactly(new IgnoredSocket(csi.socket(), "CSIPlugin", "csi.example.com"));
    assertThat(rig.store.rejections()).isEmpty();
    rig.awaitAttemptsFinished();
    assertThat(csi.notifications().all()).isEmpty();
  }

  @Test
  void theObserverRegistersWithoutNotifying() throws Exception {
    FakePlugin plugin =
        rig.serve("ok.sock", dra("ok.example.com", rig.endpoint("ok"), "v1.DRAPlugin"));
    RegistrationHandler handler = rig.startHandler(Mode.OBSERVER);

    handler.socketCreated(plugin.socket());

    rig.awaitDriver("ok.example.com");
    rig.awaitAttemptsFinished();
    assertThat(plugin.registration().getInfoCalls()).isEqualTo(1);
    assertThat(plugin.notifications().all()).isEmpty();
  }

  @Test
  void theObserverRefusesWithoutNotifying() throws Exception {
    FakePlugin bad = rig.serve("bad.sock", dra("bad.example.com", "/etc/passwd", "v1.DRAPlugin"));
    RegistrationHandler handler = rig.startHandler(Mode.OBSERVER);

    handler.socketCreated(bad.socket());

    Rejection rejection = rig.awaitRejection(bad.socket(), r -> !r.retrying());
    assertThat(rejection.reason()).contains("is not inside");
    rig.awaitAttemptsFinished();
    assertThat(bad.notifications().all()).isEmpty();
  }

  // --- end to end, with the real watcher ---

  @Test
  void endToEndWithTheRealWatcherInLifecycleOrder() throws Exception {
    FakePlugin early =
        rig.serve("early.sock", dra("early.example.com", rig.endpoint("early"), "v1.DRAPlugin"));
    // The application's order: the handler, then the watcher reporting to it.
    rig.startHandler(Mode.REGISTRAR);
    rig.startWatcher();

    FakePlugin late =
        rig.serve("late/late.sock", dra("late.example.com", rig.endpoint("late"), "v1.DRAPlugin"));

    rig.awaitDriver("early.example.com");
    rig.awaitDriver("late.example.com");
    assertThat(early.notifications().next().registered()).isTrue();
    assertThat(late.notifications().next().registered()).isTrue();

    late.close();

    await().atMost(WAIT).until(() -> rig.store.driver("late.example.com").isEmpty());
    assertThat(rig.store.drivers())
        .extracting(DriverView::driver)
        .containsExactly("early.example.com");
  }

  /** A retry the handler asked for: what it would run, and after how long. */
  record Retry(Runnable task, Duration delay) {}

  /**
   * A scheduler that runs nothing by itself: it records each retry with its delay and lets the test
   * run it when the world is ready.
   */
  static final class RetryRecorder implements AgentScheduler {
    private final BlockingQueue<Retry> retries = new LinkedBlockingQueue<>();

    @Override
    public Cancellable schedule(Runnable task, Instant at) {
      return scheduleAfter(task, Duration.between(NOW, at));
    }

    @Override
    public Cancellable scheduleAfter(Runnable task, Duration delay) {
      retries.add(new Retry(task, delay));
      return () -> {};
    }

    Retry next() throws InterruptedException {
      Retry retry = retries.poll(5, SECONDS);
      if (retry == null) {
        throw new AssertionError("no retry scheduled within 5 s");
      }
      return retry;
    }
  }
}
