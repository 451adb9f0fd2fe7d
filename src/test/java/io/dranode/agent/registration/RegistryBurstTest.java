package io.dranode.agent.registration;

import static io.dranode.agent.registration.RegistrationRig.dra;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.config.AgentProperties.Mode;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginInstance;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.testing.FakePlugin;
import io.dranode.agent.testing.PluginRegistration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The registry under load: a thousand sockets appearing in one burst, and two instances racing for
 * one endpoint, again and again. Nothing may be lost or registered twice.
 */
@Tag("faults")
class RegistryBurstTest {

  static final int BURST = 1000;
  static final String GOOD = "good.example.com";

  RegistrationRig rig;

  @BeforeEach
  void start() throws Exception {
    rig = RegistrationRig.watching(Mode.REGISTRAR, Duration.ofSeconds(5));
    rig.serve("good-reg.sock", dra(GOOD, rig.endpoint("good"), "v1.DRAPlugin"));
    rig.awaitDriver(GOOD);
  }

  @AfterEach
  void close() throws Exception {
    rig.close();
  }

  @Test
  void aThousandSocketsAtOnceAreAllRegisteredOnceThenAllDeregistered() throws Exception {
    // Bound outside the registry first: what appears in the registry is a burst of hard links.
    Path staging = Files.createDirectories(rig.root.resolve("s"));
    List<Path> bound =
        IntStream.range(0, BURST).mapToObj(i -> staging.resolve(i + ".sock")).toList();
    // One server on all of them, each socket its own plugin: a thousand plugins, one server.
    FakePlugin.Builder server =
        rig.agent
            .plugin(bound.get(0))
            .registration(
                PluginRegistration.answeringBySocket(
                    socket -> {
                      String n = socket.getFileName().toString().replace(".sock", "");
                      return dra("d" + n + ".example.com", rig.endpoint("d" + n), "v1.DRAPlugin");
                    }));
    bound.subList(1, BURST).forEach(server::alsoAt);
    FakePlugin many = server.start();
    List<Path> links = new ArrayList<>(BURST);

    long started = System.nanoTime();
    for (int i = 0; i < BURST; i++) {
      links.add(Files.createLink(rig.registry.resolve("d" + i + "-reg.sock"), bound.get(i)));
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> rig.store.drivers().size() == BURST + 1 || !rig.store.rejections().isEmpty());
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertThat(rig.store.rejections()).isEmpty();
    List<DriverView> drivers = rig.store.drivers();
    assertThat(drivers).hasSize(BURST + 1);
    assertThat(drivers).allSatisfy(d -> assertThat(d.instances()).hasSize(1));
    rig.awaitAttemptsFinished();
    Map<Path, Integer> notified = many.notifications().registeredBySocket();
    assertThat(notified).hasSize(BURST);
    assertThat(notified.values()).containsOnly(1);
    assertThat(events(AgentEvent.Type.REGISTERED)).isEqualTo(BURST + 1);
    System.out.printf("%d sockets registered in %d ms%n", BURST, took.toMillis());

    for (Path link : links) {
      Files.delete(link);
    }

    await().atMost(Duration.ofSeconds(30)).until(() -> rig.store.drivers().size() == 1);
    assertThat(rig.store.drivers()).extracting(DriverView::driver).containsExactly(GOOD);
    assertThat(events(AgentEvent.Type.DEREGISTERED)).isEqualTo(BURST);
    assertThat(rig.watcher().healthy()).isTrue();
  }

  /**
   * Two instances claim one endpoint at the same moment, 25 times: exactly one is registered, the
   * other refused with "already registered", and each is told which.
   */
  @Test
  void twoInstancesRacingForOneEndpoint() throws Exception {
    String driver = "race.example.com";
    String endpoint = rig.endpoint("race");
    Path staging = Files.createDirectories(rig.root.resolve("race"));
    FakePlugin first =
        rig.serveAt(staging.resolve("a.sock"), dra(driver, endpoint, "v1.DRAPlugin"));
    FakePlugin second =
        rig.serveAt(staging.resolve("b.sock"), dra(driver, endpoint, "v1.DRAPlugin"));
    Path a = rig.registry.resolve("race-a-reg.sock");
    Path b = rig.registry.resolve("race-b-reg.sock");
    int firstWon = 0;

    for (int round = 0; round < 25; round++) {
      Files.createLink(a, first.socket());
      Files.createLink(b, second.socket());

      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> rig.store.driver(driver).isPresent() && (rejected(a) || rejected(b)));
      DriverView view = rig.store.driver(driver).orElseThrow();
      assertThat(view.instances()).hasSize(1);
      Path winner = view.instances().get(0).registrationSocket();
      Path loser = winner.equals(a) ? b : a;
      Rejection rejection = rig.rejectionOf(loser).orElseThrow();
      assertThat(rejection.reason()).contains("already registered");
      assertThat(rejection.retrying()).isFalse();
      assertThat(rig.rejectionOf(winner)).isEmpty();
      FakePlugin won = winner.equals(a) ? first : second;
      FakePlugin lost = winner.equals(a) ? second : first;
      assertThat(won.notifications().next().registered()).isTrue();
      assertThat(lost.notifications().next().registered()).isFalse();
      firstWon += winner.equals(a) ? 1 : 0;

      Files.delete(a);
      Files.delete(b);
      await().atMost(Duration.ofSeconds(10)).until(() -> rig.store.driver(driver).isEmpty());
      await().atMost(Duration.ofSeconds(10)).until(() -> rig.store.rejections().isEmpty());
    }
    System.out.printf("race for one endpoint: the first socket won %d of 25 rounds%n", firstWon);
    assertThat(rig.store.drivers()).extracting(DriverView::driver).containsExactly(GOOD);
    assertThat(rig.store.driver(GOOD).orElseThrow().instances())
        .extracting(PluginInstance::driver)
        .containsExactly(GOOD);
  }

  private boolean rejected(Path socket) {
    return rig.rejectionOf(socket).isPresent();
  }

  private long events(AgentEvent.Type type) {
    return rig.events.stream().filter(e -> e.type() == type).count();
  }
}
