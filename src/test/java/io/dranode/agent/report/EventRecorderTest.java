package io.dranode.agent.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.cleanup.NodeIdentity;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.input.KubernetesNames;
import io.dranode.agent.report.EventRecorder.Type;
import io.dranode.agent.testing.ManualScheduler;
import io.dranode.agent.testing.MutableClock;
import io.dranode.agent.testing.TestProperties;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

/**
 * The recorder against the CRUD mock, on driven time: repeats become one Event with a count, new
 * Events are budgeted, failures are dropped and counted (never retried), and whatever the message
 * holds, the API server gets a valid, bounded Event about this node's Node.
 */
class EventRecorderTest {

  static final Instant START = Instant.parse("2026-12-01T10:00:00Z");

  final MutableClock clock = new MutableClock(START);
  final ManualScheduler scheduler = new ManualScheduler(clock);
  final MeterRegistry meters = new SimpleMeterRegistry();
  final AgentProperties properties = TestProperties.of("dra.agent.events.coalesce=5s");

  EventsApi api;
  KubernetesClient client;
  NodeIdentity node;

  @BeforeEach
  void setUp() {
    api = new EventsApi();
    client = api.client(Duration.ofSeconds(1));
    node = new NodeIdentity(client, clock, properties, scheduler);
    node.check(); // the Node and its uid, as the agent reads them at start-up
  }

  @AfterEach
  void tearDown() {
    client.close();
    api.close();
  }

  EventRecorder recorder(Executor executor) {
    StaticListableBeanFactory beans = new StaticListableBeanFactory();
    beans.addBean("meters", meters);
    return new EventRecorder(
        client,
        node,
        scheduler,
        executor,
        clock,
        properties,
        beans.getBeanProvider(MeterRegistry.class));
  }

  double dropped(String reason, String cause) {
    Counter counter =
        meters.find("dra.agent.events.dropped").tag("reason", reason).tag("cause", cause).counter();
    return counter == null ? 0 : counter.count();
  }

  double writes(String operation) {
    return meters.get("dra.agent.event.writes").tag("operation", operation).counter().count();
  }

  /** The figure of the issue: 30 identical refusals in a row. */
  @Test
  void thirtyIdenticalRefusalsMakeTwoWritesAndTheCountReachesThirtyWithinTheWindow() {
    EventRecorder recorder = recorder(Runnable::run);
    for (int i = 0; i < 30; i++) {
      recorder.record(
          Type.WARNING, NodeEvents.PLUGIN_REJECTED, "Refused the plugin at x.sock: bad");
    }
    assertThat(api.events()).singleElement().extracting(Event::getCount).isEqualTo(1);

    scheduler.advance(Duration.ofSeconds(5));

    Event event = api.events().get(0);
    assertThat(event.getCount()).isEqualTo(30);
    assertThat(api.eventWrites()).hasSize(2).first().asString().startsWith("POST ");
    assertThat(api.eventWrites().get(1)).startsWith("PATCH " + EventsApi.EVENTS + "/");
    assertThat(writes("create") + writes("patch")).isEqualTo(2);
    System.out.printf(
        "EVENT-WRITES 30 identical refusals: %d writes (%s), count %d after %s%n",
        api.eventWrites().size(),
        api.eventWrites().stream().map(w -> w.substring(0, w.indexOf(' '))).toList(),
        event.getCount(),
        properties.events().coalesce());
  }

  @Test
  void repeatsGoOutAtMostOncePerCoalescingWindow() {
    EventRecorder recorder = recorder(Runnable::run);
    recorder.record(Type.NORMAL, NodeEvents.SLICES_WIPED, "same");
    for (int second = 1; second <= 12; second++) {
      scheduler.advance(Duration.ofSeconds(1));
      recorder.record(Type.NORMAL, NodeEvents.SLICES_WIPED, "same");
    }
    scheduler.advance(Duration.ofSeconds(10));

    // created at 0 s, count updates at 5 s, 10 s and 15 s: one per window, the last one complete
    assertThat(api.eventWrites()).hasSize(4);
    assertThat(api.events()).singleElement().extracting(Event::getCount).isEqualTo(13);
  }

  @Test
  void aRepeatAfterTenMinutesIsANewEvent() {
    EventRecorder recorder = recorder(Runnable::run);
    recorder.record(Type.NORMAL, NodeEvents.DRIVER_REGISTERED, "Registered instance x");
    scheduler.advance(Duration.ofMinutes(10).plusSeconds(1));
    recorder.record(Type.NORMAL, NodeEvents.DRIVER_REGISTERED, "Registered instance x");

    assertThat(api.events()).hasSize(2).allMatch(e -> e.getCount() == 1);
  }

  /** client-go's budget: a burst of 25 new Events, then one every 5 minutes. */
  @Test
  void newEventsAreBudgetedPerNode() {
    EventRecorder recorder = recorder(Runnable::run);
    for (int i = 0; i < 30; i++) {
      recorder.record(Type.WARNING, NodeEvents.PLUGIN_REJECTED, "refusal #" + i);
    }
    assertThat(api.events()).hasSize(25);
    assertThat(dropped(NodeEvents.PLUGIN_REJECTED, "budget")).isEqualTo(5);

    scheduler.advance(Duration.ofMinutes(5));
    recorder.record(Type.WARNING, NodeEvents.PLUGIN_REJECTED, "refusal #30");
    recorder.record(Type.WARNING, NodeEvents.PLUGIN_REJECTED, "refusal #31");

    assertThat(api.events()).hasSize(26);
    assertThat(dropped(NodeEvents.PLUGIN_REJECTED, "budget")).isEqualTo(6);
  }

  @Test
  void theEventIsAboutThisNodesNodeFromTheAgent() {
    recorder(Runnable::run).record(Type.WARNING, NodeEvents.DEVICES_UNHEALTHY, "hot");

    Event event = api.events().get(0);
    assertThat(event.getMetadata().getNamespace()).isEqualTo("default");
    assertThat(event.getInvolvedObject().getKind()).isEqualTo("Node");
    assertThat(event.getInvolvedObject().getApiVersion()).isEqualTo("v1");
    assertThat(event.getInvolvedObject().getName()).isEqualTo(EventsApi.NODE);
    assertThat(event.getInvolvedObject().getUid()).isEqualTo(api.nodeUid).isNotBlank();
    assertThat(event.getType()).isEqualTo("Warning");
    assertThat(event.getReason()).isEqualTo("DRADevicesUnhealthy");
    assertThat(event.getSource().getComponent()).isEqualTo("dra-node-agent");
    assertThat(event.getSource().getHost()).isEqualTo(EventsApi.NODE);
    assertThat(event.getReportingComponent()).isEqualTo("dra-node-agent");
    assertThat(event.getReportingInstance()).isEqualTo(EventsApi.NODE);
    assertThat(event.getFirstTimestamp()).isEqualTo("2026-12-01T10:00:00Z");
  }

  /** Whatever a plugin sent, the API server sees a valid Event with a clean, bounded message. */
  @Test
  void hostileInputGivesABoundedCleanMessage() {
    String hostile =
        "\u001b[31mred\u001b[0m\nforged line\u202eevil\u0000"
            + "ü".repeat(20 * 1024)
            + "\uD83D\uDE00".repeat(10 * 1024)
            + "\uD800";
    recorder(Runnable::run).record(Type.WARNING, NodeEvents.PLUGIN_REJECTED, hostile);

    Event event = api.events().get(0);
    assertThat(event.getMessage().getBytes(StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(1024);
    assertThat(event.getMessage().chars()).noneMatch(Character::isISOControl);
    assertThat(event.getMessage()).doesNotContain("\u202e").contains("\\u001b").endsWith("…");
    assertThat(event.getMetadata().getName().length()).isLessThanOrEqualTo(253);
    assertThat(KubernetesNames.isDnsSubdomain(event.getMetadata().getName(), 253)).isTrue();
  }

  @Test
  void refusedWritesAreDroppedAndCountedNotRetried() {
    EventRecorder recorder = recorder(Runnable::run);
    for (int status : List.of(403, 500)) {
      api.failEventWrites(status);
      recorder.record(Type.NORMAL, NodeEvents.DRIVER_RECOVERED, "back " + status);
      scheduler.advance(Duration.ofMinutes(1));
    }

    assertThat(api.eventWrites()).hasSize(2);
    assertThat(dropped(NodeEvents.DRIVER_RECOVERED, "failed")).isEqualTo(2);
    assertThat(scheduler.queued()).isEmpty();

    api.failEventWrites(0);
    recorder.record(Type.NORMAL, NodeEvents.DRIVER_RECOVERED, "back 403");
    assertThat(api.events()).singleElement().extracting(Event::getMessage).isEqualTo("back 403");
  }

  @Test
  void anUnansweredWriteTimesOutAndIsDropped() {
    ExecutorService reportThread = Executors.newSingleThreadExecutor();
    try {
      EventRecorder recorder = recorder(reportThread);
      api.hangEventWrites();
      recorder.record(Type.WARNING, NodeEvents.WIPE_FAILING, "slow");

      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> dropped(NodeEvents.WIPE_FAILING, "failed") == 1);
      assertThat(api.eventWrites()).hasSize(1);
    } finally {
      reportThread.shutdownNow();
    }
  }

  @Test
  void nothingIsWrittenOnceStopped() {
    EventRecorder recorder = recorder(Runnable::run);
    recorder.record(Type.NORMAL, NodeEvents.SLICES_WIPED, "same");
    recorder.record(Type.NORMAL, NodeEvents.SLICES_WIPED, "same");

    recorder.stop();
    scheduler.advance(Duration.ofMinutes(1));
    recorder.record(Type.NORMAL, NodeEvents.SLICES_WIPED, "after");

    assertThat(api.eventWrites()).hasSize(1);
    assertThat(scheduler.queued()).isEmpty();
  }
}
