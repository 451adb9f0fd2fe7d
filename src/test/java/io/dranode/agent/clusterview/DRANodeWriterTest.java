package io.dranode.agent.clusterview;

import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.clusterview.ClusterViewApi.Request;
import io.dranode.agent.plugin.Rejection;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

/**
 * The writer against the CRUD mock on driven time ({@link ClusterViewRig}): the object is created
 * with its owner and its status applied as the agent's field manager; the status follows what
 * happens on the node; writes are coalesced, never repeated for an equal status, retried on faults
 * and held back while the CRD is missing; nothing is written once stopped.
 */
class DRANodeWriterTest {

  static final String GPU = "gpu.example.com";
  static final String NIC = "nic.example.com";
  static final Duration MIN_INTERVAL = Duration.ofSeconds(2);

  @SuppressWarnings("NullAway.Init") // each test builds the rig with its own settings
  ClusterViewRig rig;

  @AfterEach
  void tearDown() {
    rig.close();
  }

  private ClusterViewRig rig(String... properties) {
    rig = new ClusterViewRig(properties);
    return rig;
  }

  private DRANodeStatus status() {
    DRANode object = rig.api.object();
    assertThat(object).as("the DRANode object").isNotNull();
    return Objects.requireNonNull(Objects.requireNonNull(object).getStatus());
  }

  private DRANodeStatus.Driver driver(String name) {
    return status().drivers().stream()
        .filter(d -> d.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no driver " + name + " in " + status()));
  }

  private static DRANodeStatus.Condition condition(
      List<DRANodeStatus.Condition> conditions, String type) {
    return conditions.stream()
        .filter(c -> c.type().equals(type))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " in " + conditions));
  }

  @Test
  void theObjectIsCreatedWithItsOwnerAndTheStatusAppliedAsTheAgentsFieldManager() {
    rig().start();

    List<Request> sent = rig.api.requests();
    assertThat(sent).extracting(Request::method).containsExactly("PATCH", "POST", "PATCH");
    for (Request apply : rig.api.applies()) {
      assertThat(apply.path())
          .isEqualTo(ClusterViewApi.BASE + "/worker/status?fieldManager=dra-node-agent&force=true");
      assertThat(apply.contentType()).isEqualTo("application/apply-patch+yaml");
      assertThat(apply.body())
          .startsWith(
              "{\"apiVersion\":\"dra.dranode.io/v1alpha1\",\"kind\":\"DRANode\","
                  + "\"metadata\":{\"name\":\"worker\"},\"status\":{");
    }
    Request create = sent.get(1);
    assertThat(create.path()).isEqualTo(ClusterViewApi.BASE);
    assertThat(create.body()).doesNotContain("\"status\"");

    DRANode object = Objects.requireNonNull(rig.api.object());
    OwnerReference owner = object.getMetadata().getOwnerReferences().get(0);
    assertThat(object.getMetadata().getOwnerReferences()).hasSize(1);
    assertThat(owner.getApiVersion()).isEqualTo("v1");
    assertThat(owner.getKind()).isEqualTo("Node");
    assertThat(owner.getName()).isEqualTo("worker");
    assertThat(owner.getUid()).isEqualTo(rig.node.status().uid()).isNotBlank();
    DRANodeStatus status = status();
    assertThat(status.drivers()).isEmpty();
    assertThat(status.agent())
        .isEqualTo(
            new DRANodeStatus.Agent(DRANodeStatus.Mode.REGISTRAR, "development", "agent-x7k2p"));
    assertThat(condition(status.conditions(), "DriversReady").status())
        .isEqualTo(DRANodeStatus.Status.TRUE);
    assertThat(condition(status.conditions(), "ListsComplete").reason()).isEqualTo("AllListed");
    assertThat(rig.writer.state().kind()).isEqualTo(ClusterViewState.Kind.WRITTEN);
  }

  @Test
  void nothingIsWrittenBeforeTheApplicationIsReady() {
    rig();
    rig.node.check();
    rig.wipes.start();
    rig.conditions.start();
    rig.writer.start();
    rig.register(GPU, "a");
    rig.connect(GPU, "a");
    rig.advance(Duration.ofMinutes(1));
    assertThat(rig.requests()).isZero();

    rig.writer.ready();
    rig.advance(Duration.ZERO);
    assertThat(rig.applies()).isEqualTo(2); // the 404 that shows it is missing, then the status
    assertThat(driver(GPU).usable()).isTrue();
  }

  @Test
  void theStatusFollowsRegistrationsRefusalsDisconnectionsWipesAndHealth() {
    rig("dra.agent.wipe.delay=30s").start();

    rig.register(GPU, "a");
    rig.connect(GPU, "a");
    rig.slices(GPU, 2);
    rig.devices(GPU, 3, 1);
    rig.advance(MIN_INTERVAL);
    DRANodeStatus.Driver gpu = driver(GPU);
    assertThat(gpu.usable()).isTrue();
    assertThat(gpu.resourceSlices()).isEqualTo(2);
    assertThat(gpu.devices()).isEqualTo(new DRANodeStatus.Devices(3, 1, 0));
    assertThat(gpu.instances())
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.endpoint()).isEqualTo(ClusterViewRig.endpoint(GPU, "a"));
              assertThat(i.service()).isEqualTo("v1.DRAPlugin");
              assertThat(i.healthService()).isEqualTo("v1.DRAResourceHealth");
              assertThat(i.connection()).isEqualTo(DRANodeStatus.Connection.CONNECTED);
              assertThat(i.registeredAt()).isEqualTo("2026-12-01T10:00:00Z");
            });
    assertThat(gpu.conditions())
        .extracting(DRANodeStatus.Condition::type)
        .containsExactly("Registered", "Connected", "SlicesPublished", "DevicesHealthy");
    assertThat(condition(gpu.conditions(), "SlicesPublished").status())
        .isEqualTo(DRANodeStatus.Status.TRUE);
    assertThat(status().summary()).isEqualTo(new DRANodeStatus.Summary(1, 1, 0, 0, 0));

    rig.store.reject(
        new Rejection(
            Path.of(ClusterViewRig.REGISTRY, "sub", "bad-reg.sock"),
            "Bad_Name",
            "invalid DRA driver name \"Bad_Name\"",
            1,
            rig.clock.instant(),
            false));
    rig.advance(MIN_INTERVAL);
    assertThat(status().rejectedSockets())
        .containsExactly(
            new DRANodeStatus.RejectedSocket(
                "sub/bad-reg.sock", "\"Bad_Name\"", "invalid DRA driver name \"Bad_Name\""));
    assertThat(status().summary().rejectedSockets()).isEqualTo(1);

    rig.disconnect(GPU, "a");
    rig.advance(MIN_INTERVAL);
    gpu = driver(GPU);
    assertThat(gpu.usable()).isFalse();
    assertThat(gpu.instances().get(0).connection())
        .isEqualTo(DRANodeStatus.Connection.DISCONNECTED);
    assertThat(gpu.pendingWipe())
        .isEqualTo(
            new DRANodeStatus.PendingWipe("2026-12-01T10:00:34Z", 0, null, false, List.of(), null));
    assertThat(condition(gpu.conditions(), "Connected").status())
        .isEqualTo(DRANodeStatus.Status.FALSE);
    assertThat(status().summary()).isEqualTo(new DRANodeStatus.Summary(1, 0, 1, 1, 1));
    assertThat(condition(status().conditions(), "DriversReady").message()).contains(GPU);

    rig.advance(Duration.ofSeconds(30)); // the wipe is due, runs and ends
    rig.slices(GPU, 0);
    rig.advance(MIN_INTERVAL);
    gpu = driver(GPU);
    assertThat(gpu.pendingWipe()).isNull();
    assertThat(gpu.lastWipe())
        .isEqualTo(
            new DRANodeStatus.LastWipe(
                "2026-12-01T10:00:34Z", 1, DRANodeStatus.WipeResult.DELETED));
    assertThat(gpu.resourceSlices()).isZero();

    rig.store.forgetSocket(Path.of(ClusterViewRig.REGISTRY, "sub", "bad-reg.sock"));
    rig.advance(MIN_INTERVAL);
    assertThat(status().rejectedSockets()).isEmpty();
  }

  @Test
  void aQuarantineNamesItsRulesAndSlicesKeptOnPurposeSayWhy() {
    rig("dra.agent.wipe.ignore-drivers=" + NIC).start();
    rig.register(GPU, "a");
    rig.connect(GPU, "a");
    rig.slices(GPU, 2);
    rig.slices(NIC, 1); // published centrally, never registered here
    rig.advance(MIN_INTERVAL);
    assertThat(driver(NIC).keptBecause()).contains("dra.agent.wipe.ignore-drivers");
    assertThat(driver(GPU).keptBecause()).isNull();

    rig.disconnect(GPU, "a");
    rig.advance(MIN_INTERVAL);
    assertThat(driver(GPU).pendingWipe()).extracting("quarantined").isEqualTo(false);
    int before = rig.applies();
    rig.taintRules(GPU, "node-1-gpu-example-com-node-1-0123456789");
    rig.advance(MIN_INTERVAL);
    assertThat(rig.applies()).as("a new rule alone is written").isEqualTo(before + 1);
    DRANodeStatus.PendingWipe pending = Objects.requireNonNull(driver(GPU).pendingWipe());
    assertThat(pending.quarantined()).isTrue();
    assertThat(pending.taintRules()).containsExactly("node-1-gpu-example-com-node-1-0123456789");
    assertThat(pending.taintRulesOmitted()).isNull();

    String[] many = new String[DRANodeStatus.TAINT_RULES_MAX + 3];
    for (int i = 0; i < many.length; i++) {
      many[i] = String.format("node-1-gpu-example-com-pool-%02d-0123456789", i);
    }
    rig.taintRules(GPU, many);
    rig.advance(MIN_INTERVAL);
    pending = Objects.requireNonNull(driver(GPU).pendingWipe());
    assertThat(pending.taintRules()).hasSize(DRANodeStatus.TAINT_RULES_MAX).contains(many[0]);
    assertThat(pending.taintRulesOmitted()).isEqualTo(3);

    rig.taintRules(GPU); // lifted
    rig.advance(MIN_INTERVAL);
    pending = Objects.requireNonNull(driver(GPU).pendingWipe());
    assertThat(pending.quarantined()).isFalse();
    assertThat(pending.taintRules()).isEmpty();
  }

  @Test
  void changesWithinTheMinimumIntervalGoOutTogether() {
    rig().start();
    rig.advance(Duration.ofSeconds(5));
    int before = rig.applies();

    rig.register(GPU, "a"); // the first change after a quiet time goes out at once
    rig.advance(Duration.ZERO);
    assertThat(rig.applies()).isEqualTo(before + 1);

    for (int i = 0; i < 20; i++) { // a burst within the interval
      rig.advance(Duration.ofMillis(50));
      rig.register(NIC, "n" + i);
      rig.connect(NIC, "n" + i);
    }
    rig.connect(GPU, "a");
    assertThat(rig.applies()).isEqualTo(before + 1);

    rig.advance(MIN_INTERVAL);
    assertThat(rig.applies()).isEqualTo(before + 2);
    assertThat(driver(NIC).instances()).hasSize(16);
    assertThat(driver(NIC).instancesOmitted()).isEqualTo(4);
    assertThat(driver(GPU).usable()).isTrue();
  }

  @Test
  void aStatusEqualToTheLastOneWrittenIsNotSent() {
    rig().start();
    rig.register(GPU, "a");
    rig.connect(GPU, "a");
    rig.advance(MIN_INTERVAL.multipliedBy(2));
    int before = rig.requests();

    // Told of changes that change nothing the object shows: a slice list with the same count,
    // the same device health again.
    rig.slices(GPU, 0);
    rig.devices(GPU, 0, 0);
    rig.advance(MIN_INTERVAL.multipliedBy(2));

    assertThat(rig.requests()).isEqualTo(before);
  }

  @Test
  void tenIdleMinutesMakeNoWrite() {
    rig().start();
    rig.register(GPU, "a");
    rig.connect(GPU, "a");
    rig.slices(GPU, 1);
    rig.advance(Duration.ofMinutes(3)); // past the slices' grace: nothing left to change
    int before = rig.requests();

    rig.advance(Duration.ofMinutes(10));

    assertThat(rig.requests()).isEqualTo(before);
    assertThat(rig.scheduler.queued()).isEmpty();
  }

  /** No CRD: the agent works on, says so in its health, and looks again every recheck interval. */
  @Test
  void withoutTheCrdTheAgentLooksAgainOnlyEveryRecheckInterval() {
    rig();
    rig.api.served(false);
    rig.start();
    assertThat(rig.api.requests()).extracting(Request::method).containsExactly("PATCH", "POST");
    assertThat(rig.writer.state().kind()).isEqualTo(ClusterViewState.Kind.NOT_SERVED);
    assertThat(new ClusterViewHealth(rig.writer).health().getStatus()).isEqualTo(Status.UNKNOWN);
    assertThat(new ClusterViewHealth(rig.writer).health().getDetails().get("detail"))
        .asString()
        .contains("is the CRD installed?");

    for (int minute = 0; minute < 60; minute++) { // an hour of changes
      rig.register(GPU, "i" + minute);
      rig.connect(GPU, "i" + minute);
      rig.advance(Duration.ofMinutes(1));
    }
    assertThat(rig.requests()).isEqualTo(2 * 13); // at start, then every 5 minutes
    assertThat(rig.store.driver(GPU)).isPresent(); // the agent works on

    rig.api.served(true);
    rig.advance(Duration.ofMinutes(5));
    assertThat(rig.writer.state().kind()).isEqualTo(ClusterViewState.Kind.WRITTEN);
    assertThat(driver(GPU).instances()).hasSize(16);
    assertThat(new ClusterViewHealth(rig.writer).health().getStatus()).isEqualTo(Status.UP);
  }

  @Test
  void serverErrorsAndConflictsAreRetriedAndConverge() {
    rig().start();
    rig.advance(Duration.ofSeconds(5));
    rig.api.answerNext(
        ClusterViewApi.status(500, "InternalError", "etcd is unhappy"),
        ClusterViewApi.status(409, "Conflict", "the object has been modified"),
        ClusterViewApi.status(503, "ServiceUnavailable", "try later"));
    int before = rig.requests();

    rig.register(GPU, "a");
    rig.advance(Duration.ZERO);
    assertThat(rig.writer.state().kind()).isEqualTo(ClusterViewState.Kind.FAILING);
    rig.connect(GPU, "a"); // changes while failing go into the retry
    rig.slices(GPU, 3);
    rig.advance(Duration.ofSeconds(10)); // 1 s, 2 s, 4 s of backoff

    assertThat(rig.requests()).isEqualTo(before + 4);
    assertThat(rig.writer.state().kind()).isEqualTo(ClusterViewState.Kind.WRITTEN);
    assertThat(driver(GPU).usable()).isTrue();
    assertThat(driver(GPU).resourceSlices()).isEqualTo(3);
  }

  @Test
  void tooManyRequestsWaitsAsLongAsTheServerAsks() {
    rig().start();
    rig.advance(Duration.ofSeconds(5));
    rig.api.answerNext(ClusterViewApi.tooManyRequests(7));
    int before = rig.requests();

    rig.register(GPU, "a");
    rig.advance(Duration.ofSeconds(6));
    assertThat(rig.requests()).isEqualTo(before + 1);

    rig.advance(Duration.ofSeconds(1));
    assertThat(rig.requests()).isEqualTo(before + 2);
    assertThat(driver(GPU).instances()).hasSize(1);
  }

  @Test
  void anUnansweredWriteTimesOutAndIsRetried() {
    rig().start();
    rig.advance(Duration.ofSeconds(5));
    rig.api.delay(Duration.ofSeconds(5)); // the client waits 2 s at most
    rig.register(GPU, "a");
    rig.advance(Duration.ZERO);
    assertThat(rig.writer.state().kind()).isEqualTo(ClusterViewState.Kind.FAILING);

    rig.api.delay(Duration.ZERO);
    rig.advance(Duration.ofSeconds(2));
    assertThat(rig.writer.state().kind()).isEqualTo(ClusterViewState.Kind.WRITTEN);
    assertThat(driver(GPU).instances()).hasSize(1);
  }

  @Test
  void refusedWritesWaitForTheRecheckInterval() {
    rig("dra.agent.cluster-view.recheck-interval=1m").start();
    rig.advance(Duration.ofSeconds(5));
    rig.api.answerNext(ClusterViewApi.status(403, "Forbidden", "denied by the admission policy"));
    int before = rig.requests();

    rig.register(GPU, "a");
    rig.advance(Duration.ofSeconds(59));
    assertThat(rig.requests()).isEqualTo(before + 1);
    assertThat(rig.writer.state().kind()).isEqualTo(ClusterViewState.Kind.REFUSED);

    rig.advance(Duration.ofSeconds(1));
    assertThat(rig.requests()).isEqualTo(before + 2);
    assertThat(rig.writer.state().kind()).isEqualTo(ClusterViewState.Kind.WRITTEN);
  }

  @Test
  void aDeletedObjectIsCreatedAgainOnTheNextChange() {
    rig().start();
    rig.api.deleteObject();

    rig.register(GPU, "a");
    rig.advance(MIN_INTERVAL);

    assertThat(rig.api.object()).isNotNull();
    assertThat(Objects.requireNonNull(rig.api.object()).getMetadata().getOwnerReferences())
        .hasSize(1);
    assertThat(driver(GPU).instances()).hasSize(1);
  }

  /** The report thread does the write; the scheduler and whoever changed the store only queue. */
  @Test
  void writesRunOnTheReportExecutorOnly() {
    List<Runnable> reportThread = new ArrayList<>();
    rig = new ClusterViewRig(reportThread::add);
    rig.start();
    assertThat(rig.requests()).isZero();
    assertThat(reportThread).hasSize(1);

    reportThread.remove(0).run();
    assertThat(rig.applies()).isEqualTo(2);
    rig.register(GPU, "a");
    rig.advance(MIN_INTERVAL);
    assertThat(rig.requests()).isEqualTo(3);
    assertThat(reportThread).hasSize(1);
  }

  @Test
  void nothingIsWrittenOnceStopped() {
    List<Runnable> reportThread = new ArrayList<>();
    rig = new ClusterViewRig(reportThread::add);
    rig.start();
    reportThread.remove(0).run();
    rig.advance(Duration.ofSeconds(5));
    rig.register(GPU, "a");
    rig.advance(Duration.ZERO); // a write queued on the report thread
    rig.register(NIC, "b"); // and another due after the interval
    assertThat(reportThread).hasSize(1);
    int before = rig.requests();

    rig.writer.stop();
    reportThread.remove(0).run();
    rig.advance(Duration.ofMinutes(1));
    rig.connect(GPU, "a");
    rig.advance(Duration.ofMinutes(1));

    assertThat(rig.requests()).isEqualTo(before);
    assertThat(reportThread).isEmpty();
    assertThat(rig.api.object()).as("never deleted").isNotNull();
  }

  @Test
  void switchedOffItWritesNothing() {
    rig("dra.agent.cluster-view.enabled=false").start();
    rig.register(GPU, "a");
    rig.advance(Duration.ofMinutes(1));

    assertThat(rig.requests()).isZero();
    assertThat(rig.writer.state().kind()).isEqualTo(ClusterViewState.Kind.DISABLED);
    assertThat(new ClusterViewHealth(rig.writer).health().getStatus()).isEqualTo(Status.UP);
  }
}
