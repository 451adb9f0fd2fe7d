package io.dranode.agent.registration;

import static io.dranode.agent.registration.RegistrationRig.dra;
import static io.dranode.agent.registration.RegistrationRig.info;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.argumentSet;

import io.dranode.agent.config.AgentProperties.Mode;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.testing.FakePlugin;
import io.dranode.agent.testing.Notification;
import io.dranode.agent.testing.PluginRegistration;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * docs/ARCHITECTURE.md, invariant 6, one bad plugin at a time, through the real watcher and
 * handler: whatever a plugin answers (or fails to), whatever lies in the registry folder, the bad
 * one is refused with a clear reason (sent back through {@code NotifyRegistrationStatus} where it
 * can hear it) or is skipped as the kubelet skips it, the agent keeps running, the plugin
 * registered before stays registered, and a plugin arriving after still registers. A reason is
 * always bounded and free of control characters: a hostile plugin can neither flood nor forge the
 * logs and APIs it lands in.
 */
@Tag("faults")
class MisbehavingPluginsTest {

  static final String GOOD = "good.example.com";
  static final String V1 = "v1.DRAPlugin";
  static final int TEN_MB = 10 * 1024 * 1024;

  RegistrationRig rig;
  FakePlugin good;

  @BeforeEach
  void startWithOneGoodPlugin() throws IOException {
    rig = RegistrationRig.watching(Mode.REGISTRAR, Duration.ofSeconds(1));
    good = rig.serve("good-reg.sock", dra(GOOD, rig.endpoint("good"), V1));
    rig.awaitDriver(GOOD);
  }

  @AfterEach
  void close() throws Exception {
    rig.close();
  }

  /** What {@code GetInfo} says, the reason the refusal must give, and whether it is retried. */
  record Answer(Function<RegistrationRig, PluginInfo> info, String reason, boolean retrying) {}

  static Stream<Arguments> wrongAnswers() {
    return Stream.of(
        refused(
            "type CSIPlugin (not ours)",
            r -> info("CSIPlugin", "csi.example.com", "", "1.0.0"),
            "not handled"),
        refused(
            "type unknown",
            r -> info("GPUPlugin", "x.example.com", r.endpoint("x"), V1),
            "unsupported plugin type"),
        refused(
            "type empty",
            r -> info("", "x.example.com", r.endpoint("x"), V1),
            "unsupported plugin type"),
        refused(
            "type with NUL and newline",
            r -> info("DRA\u0000Plugin\n", "x.example.com", r.endpoint("x"), V1),
            "unsupported plugin type"),
        refused("driver name empty", r -> dra("", r.endpoint("x"), V1), "Required value"),
        refused(
            "driver name of 64 characters",
            r -> dra("a".repeat(64), r.endpoint("x"), V1),
            "Too long"),
        refused(
            "driver name upper-case",
            r -> dra("GPU.Example.com", r.endpoint("x"), V1),
            "invalid DRA driver name"),
        refused(
            "driver name with a slash",
            r -> dra("gpu/example.com", r.endpoint("x"), V1),
            "invalid DRA driver name"),
        refused(
            "driver name with an ANSI escape and a forged log line",
            r -> dra("gpu\u001b[31m.example.com\n2026-01-01 INFO forged", r.endpoint("x"), V1),
            "invalid DRA driver name"),
        refused(
            "driver name with a NUL byte",
            r -> dra("gpu\u0000.example.com", r.endpoint("x"), V1),
            "invalid DRA driver name"),
        refused(
            "driver name with a Cyrillic look-alike",
            r -> dra("gpu.ex\u0430mple.com", r.endpoint("x"), V1),
            "invalid DRA driver name"),
        refused(
            "driver name with a right-to-left override",
            r -> dra("gpu.\u202eexample.com", r.endpoint("x"), V1),
            "invalid DRA driver name"),
        refused(
            "driver name of 10 MB",
            r -> dra("a".repeat(TEN_MB), r.endpoint("x"), V1),
            "RESOURCE_EXHAUSTED"),
        refused(
            "endpoint of 10 MB",
            r -> dra("x.example.com", "/" + "a".repeat(TEN_MB), V1),
            "RESOURCE_EXHAUSTED"),
        refused(
            "10,000 versions, 140 KB",
            r -> dra("x.example.com", r.endpoint("x"), versions(10_000, "v9.DRAPlugin")),
            "RESOURCE_EXHAUSTED"),
        refused(
            "10,000 unknown versions under 64 KiB",
            r -> dra("x.example.com", r.endpoint("x"), versions(10_000, "x")),
            "none of the services"),
        refused(
            "no versions",
            r -> dra("x.example.com", r.endpoint("x")),
            "empty list of supported gRPC services"),
        refused(
            "only version 1.0.0",
            r -> dra("x.example.com", r.endpoint("x"), "1.0.0"),
            "none of the services"),
        refused(
            "versions with NUL and newline",
            r -> dra("x.example.com", r.endpoint("x"), V1 + "\u0000", "v1.DRA\nPlugin"),
            "none of the services"),
        refused(
            "relative endpoint",
            r -> dra("x.example.com", "plugins/x/dra.sock", V1),
            "must be an absolute path"),
        refused(
            "endpoint escaping with ..",
            r -> dra("x.example.com", r.root + "/plugins/../../etc/evil.sock", V1),
            "is not inside"),
        refused(
            "endpoint of 108 bytes or more",
            r -> dra("x.example.com", r.root + "/plugins/" + "a".repeat(120) + "/dra.sock", V1),
            "longer than"),
        refused(
            "endpoint outside the kubelet root",
            r -> dra("x.example.com", "/etc/evil.sock", V1),
            "is not inside"),
        refused(
            "endpoint is the kubelet root itself",
            r -> dra("x.example.com", r.root.toString(), V1),
            "is not inside"),
        refused(
            "endpoint is the registry folder itself",
            r -> dra("x.example.com", r.registry.toString(), V1),
            "plugin registration folder itself"),
        refused(
            "endpoint is the plugins folder itself",
            r -> dra("x.example.com", r.root + "/plugins/", V1),
            "plugins folder itself"),
        refused(
            "endpoint with a NUL byte",
            r -> dra("x.example.com", r.root + "/plugins/x\u0000/dra.sock", V1),
            "control character"),
        refused(
            "endpoint with a newline (a forged log line)",
            r -> dra("x.example.com", r.root + "/plugins/x\n2026-01-01 INFO forged/dra.sock", V1),
            "control character"));
  }

  private static Arguments refused(
      String name, Function<RegistrationRig, PluginInfo> info, String reason) {
    return argumentSet(name, new Answer(info, reason, false));
  }

  @ParameterizedTest
  @MethodSource("wrongAnswers")
  void aWrongAnswerIsRefusedWithAReason(Answer answer) throws Exception {
    FakePlugin bad = rig.serve("bad-reg.sock", answer.info().apply(rig));

    Rejection rejection = rig.awaitRejection(bad.socket(), r -> !r.retrying());

    assertThat(rejection.reason()).contains(answer.reason());
    assertSane(rejection.reason());
    assertThat(rejection.attempts()).isEqualTo(1);
    Notification status = bad.notifications().next();
    assertThat(status.registered()).isFalse();
    assertThat(status.error()).isEqualTo(rejection.reason());
    assertAgentUnharmed(0);
  }

  /** Answers only a raw server can give: bytes that are not what the schema promises. */
  static Stream<Arguments> rawAnswers() {
    PluginInfo valid = dra("raw.example.com", "", V1);
    byte[] validBytes = valid.toByteArray();
    ByteArrayOutputStream invalidUtf8 = new ByteArrayOutputStream();
    field(invalidUtf8, 1, "DRAPlugin".getBytes(StandardCharsets.UTF_8));
    field(invalidUtf8, 2, new byte[] {'g', 'p', 'u', (byte) 0xC3, (byte) 0x28, (byte) 0xFF});
    field(invalidUtf8, 4, V1.getBytes(StandardCharsets.UTF_8));
    return Stream.of(
        // grpc-java reports an answer it cannot parse as CANCELLED on the client side.
        argumentSet(
            "driver name with invalid UTF-8",
            PluginRegistration.answeringBytes(invalidUtf8.toByteArray()),
            "Failed to read message"),
        argumentSet(
            "bytes that are no protobuf",
            PluginRegistration.answeringBytes(
                new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F}),
            "Failed to read message"),
        argumentSet(
            "a truncated message",
            PluginRegistration.answeringBytes(Arrays.copyOf(validBytes, validBytes.length - 3)),
            "Failed to read message"),
        argumentSet(
            "GetInfo fails with PERMISSION_DENIED",
            PluginRegistration.failing(Status.PERMISSION_DENIED.withDescription("go away")),
            "PERMISSION_DENIED: go away"),
        argumentSet(
            "GetInfo fails with a 4 KB description full of control characters",
            PluginRegistration.failing(
                Status.INTERNAL.withDescription(
                    ("\u001b[2J\r\n2026-01-01 INFO forged ").repeat(128))),
            "INTERNAL"));
  }

  @ParameterizedTest
  @MethodSource("rawAnswers")
  void aMalformedAnswerIsRetriedWithAReason(PluginRegistration answer, String reason)
      throws Exception {
    FakePlugin bad = rig.serveAt(rig.registry.resolve("raw-reg.sock"), answer);

    Rejection rejection = rig.awaitRejection(bad.socket(), r -> r.attempts() >= 2);

    // A plugin that answers garbage may be restarting: retried with backoff, like the kubelet.
    assertThat(rejection.retrying()).isTrue();
    assertThat(rejection.reason()).contains(reason);
    assertSane(rejection.reason());
    assertThat(rejection.driver()).isNull();
    assertAgentUnharmed(0);
  }

  @Test
  void aPluginThatCannotHearItsStatusIsStillRegistered() throws Exception {
    FakePlugin deaf =
        rig.serveAt(
            rig.registry.resolve("deaf-reg.sock"),
            PluginRegistration.answering(dra("deaf.example.com", rig.endpoint("deaf"), V1))
                .withoutNotify());

    DriverView view = rig.awaitDriver("deaf.example.com");

    assertThat(view.instances())
        .extracting(PluginInstance::registrationSocket)
        .containsExactly(deaf.socket());
    assertThat(rig.store.rejections()).isEmpty();
    assertAgentUnharmed(1);
  }

  @Test
  void aGetInfoThatHangsTimesOutAndIsRetried() throws Exception {
    FakePlugin hanging = rig.serve("hang-reg.sock", dra("hang.example.com", rig.endpoint("h"), V1));
    hanging.registration().hang();

    Rejection rejection = rig.awaitRejection(hanging.socket(), r -> r.attempts() >= 2);

    assertThat(rejection.retrying()).isTrue();
    assertThat(rejection.reason()).contains("DEADLINE_EXCEEDED");
    assertThat(hanging.registration().getInfoCalls()).isGreaterThanOrEqualTo(2);
    assertAgentUnharmed(0);
    hanging.registration().release();
  }

  @Test
  void aSocketThatAcceptsAndClosesIsRetried() throws Exception {
    Path socket = rig.registry.resolve("closing-reg.sock");
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread acceptor =
        new Thread(
            () -> {
              try {
                while (true) {
                  try (SocketChannel accepted = server.accept()) {
                    // closed at once, before a byte of HTTP/2 is exchanged
                  }
                }
              } catch (IOException closed) {
                // the test is over
              }
            },
            "test-accept-and-close");
    acceptor.start();
    try {
      Rejection rejection = rig.awaitRejection(socket, r -> r.attempts() >= 6);

      assertThat(rejection.retrying()).isTrue();
      assertThat(rejection.reason()).contains("UNAVAILABLE");
      assertSane(rejection.reason());
      assertAgentUnharmed(0);
    } finally {
      server.close();
      acceptor.join(5_000);
    }
  }

  @Test
  void aStaleSocketWithoutListenerIsRetried() throws Exception {
    Path socket = rig.registry.resolve("stale-reg.sock");
    try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      gone.bind(UnixDomainSocketAddress.of(socket));
    }

    // The first dials are the quick retries of a socket whose server is not listening yet.
    Rejection rejection = rig.awaitRejection(socket, r -> r.attempts() >= 6);

    assertThat(rejection.retrying()).isTrue();
    assertThat(rejection.reason()).contains("UNAVAILABLE");
    assertAgentUnharmed(0);
  }

  @Test
  void aGrpcServerWithoutTheRegistrationServiceIsRefused() throws Exception {
    FakePlugin other = rig.serveNothingAt(rig.registry.resolve("other-reg.sock"));

    Rejection rejection = rig.awaitRejection(other.socket(), r -> !r.retrying());

    assertThat(rejection.reason()).contains("UNIMPLEMENTED");
    assertAgentUnharmed(0);
  }

  @Test
  void aSecondSocketClaimingARegisteredEndpointIsRefused() throws Exception {
    FakePlugin thief = rig.serve("thief-reg.sock", dra(GOOD, rig.endpoint("good"), V1));

    Rejection rejection = rig.awaitRejection(thief.socket(), r -> !r.retrying());

    assertThat(rejection.reason()).contains("already registered");
    assertThat(thief.notifications().next().registered()).isFalse();
    assertAgentUnharmed(0);
  }

  /** Entries of the registry folder that are no socket of ours: skipped, as the kubelet does. */
  static Stream<Arguments> notSockets() {
    return Stream.of(
        argumentSet(
            "a regular file", (Entry) (rig, at) -> Files.createFile(at.resolve("file.sock"))),
        argumentSet("a FIFO", (Entry) (rig, at) -> mkfifo(at.resolve("fifo.sock"))),
        argumentSet(
            "an empty folder named x.sock",
            (Entry) (rig, at) -> Files.createDirectory(at.resolve("x.sock"))),
        argumentSet(
            "a symbolic link to a live plugin's socket outside the registry",
            (Entry)
                (rig, at) -> {
                  FakePlugin outside =
                      rig.serveAt(
                          rig.root.resolve("outside/evil.sock"),
                          dra("evil.example.com", rig.endpoint("evil"), V1));
                  Files.createSymbolicLink(at.resolve("link-reg.sock"), outside.socket());
                }),
        argumentSet(
            "a symbolic link to a folder outside the registry with a live plugin",
            (Entry)
                (rig, at) -> {
                  rig.serveAt(
                      rig.root.resolve("elsewhere/evil.sock"),
                      dra("evil.example.com", rig.endpoint("evil"), V1));
                  Files.createSymbolicLink(
                      at.resolve("linked-folder"), rig.root.resolve("elsewhere"));
                }),
        argumentSet(
            "a live plugin's socket named with a leading dot",
            (Entry)
                (rig, at) ->
                    rig.serveAt(
                        at.resolve(".hidden-reg.sock"),
                        dra("hidden.example.com", rig.endpoint("hidden"), V1))));
  }

  interface Entry {
    void create(RegistrationRig rig, Path folder) throws Exception;
  }

  @ParameterizedTest
  @MethodSource("notSockets")
  void anEntryThatIsNoSocketIsSkipped(Entry entry) throws Exception {
    entry.create(rig, rig.registry);

    // Events of one folder arrive in order: once a later socket is registered, the entry before
    // it was handled.
    rig.serve("sentinel-reg.sock", dra("sentinel.example.com", rig.endpoint("sentinel"), V1));
    rig.awaitDriver("sentinel.example.com");
    rig.awaitAttemptsFinished();

    assertThat(rig.store.rejections()).isEmpty();
    assertThat(rig.store.drivers())
        .extracting(DriverView::driver)
        .containsExactly(GOOD, "sentinel.example.com");
    assertAgentUnharmed(1);
  }

  /**
   * The agent is alive and unharmed: the good plugin is still registered as it was, nothing but the
   * expected extra drivers is, and a plugin that arrives now is registered.
   */
  private void assertAgentUnharmed(int extraDrivers) throws Exception {
    assertThat(rig.handler().isRunning()).isTrue();
    assertThat(rig.watcher().healthy()).isTrue();
    DriverView view = rig.store.driver(GOOD).orElseThrow();
    assertThat(view.instances())
        .extracting(PluginInstance::registrationSocket)
        .containsExactly(good.socket());
    assertThat(rig.store.drivers()).hasSize(1 + extraDrivers);
    String after = "after-" + Integer.toHexString(System.identityHashCode(this)) + ".example.com";
    rig.serve("after-reg.sock", dra(after, rig.endpoint("after"), V1));
    rig.awaitDriver(after);
  }

  /** Bounded, and nothing in it can start a new log line or move a terminal's cursor. */
  private static void assertSane(String reason) {
    assertThat(reason.length()).isLessThan(1000);
    assertThat(reason.chars().filter(Character::isISOControl).count())
        .as("control characters in %s", reason)
        .isZero();
  }

  private static String[] versions(int count, String prefix) {
    return Collections.nCopies(count, prefix).toArray(String[]::new);
  }

  /** A length-delimited protobuf field, written by hand. */
  private static void field(ByteArrayOutputStream out, int number, byte[] value) {
    out.write((number << 3) | 2);
    int length = value.length;
    while (length > 0x7F) {
      out.write((length & 0x7F) | 0x80);
      length >>>= 7;
    }
    out.write(length);
    out.write(value, 0, value.length);
  }

  private static Path mkfifo(Path path) throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
    assertThat(process.waitFor()).as("mkfifo exit code").isZero();
    return path;
  }
}
