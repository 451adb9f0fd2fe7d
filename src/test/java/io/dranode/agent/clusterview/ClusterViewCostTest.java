package io.dranode.agent.clusterview;

import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.clusterview.ClusterViewApi.Request;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.IntSummaryStatistics;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the cluster view costs the API server, counted on driven time against the mock API, in the
 * scenarios of docs/BENCHMARKS.md: the agent starting on a node with 10 drivers, 10 drivers
 * registering at once, one driver's rolling update, 10 idle minutes. Each scenario plays the node's
 * events with the timings a real node shows (registrations over a few milliseconds, connections a
 * few milliseconds later, health reports and slices within a second), then lets 30 s pass. Prints
 * one {@code DRANODE-WRITES} line per scenario: the status writes, every request, and the bytes of
 * each write's body.
 */
class ClusterViewCostTest {

  static final int DRIVERS = 10;

  final ClusterViewRig rig = new ClusterViewRig();

  @AfterEach
  void tearDown() {
    rig.close();
  }

  static String driver(int i) {
    return "driver-" + i + ".example.com";
  }

  private void startWithoutReady() {
    rig.node.check();
    rig.wipes.start();
    rig.conditions.start();
    rig.writer.start();
    rig.scheduler.runDue();
  }

  private void ms(long millis) {
    rig.advance(Duration.ofMillis(millis));
  }

  /** The agent starts on a node whose 10 drivers run and have their slices (a restart). */
  private void agentStartsWithTenDrivers() {
    startWithoutReady();
    for (int i = 0; i < DRIVERS; i++) {
      rig.slices(driver(i), 1); // the informer's first list
    }
    for (int i = 0; i < DRIVERS; i++) { // the initial scan: one registration after another
      rig.register(driver(i), "a");
      ms(2);
    }
    for (int i = 0; i < DRIVERS; i++) {
      rig.connect(driver(i), "a");
      ms(3);
    }
    rig.writer.ready(); // the servers are up: the application is ready
    ms(100);
    for (int i = 0; i < DRIVERS; i++) { // first health reports
      rig.devices(driver(i), 8, 0);
      ms(20);
    }
  }

  private int mark;

  private void count() {
    mark = rig.requests();
  }

  private String report(String scenario, int statusWrites) {
    List<Request> sent = rig.api.requests().subList(mark, rig.requests());
    IntSummaryStatistics bytes =
        sent.stream()
            .filter(Request::isApply)
            .mapToInt(r -> r.body().getBytes(StandardCharsets.UTF_8).length)
            .summaryStatistics();
    String line =
        String.format(
            "DRANODE-WRITES %s: %d status writes, %d requests (%s), body bytes per write %s",
            scenario,
            statusWrites,
            sent.size(),
            sent.stream().map(Request::method).toList(),
            bytes.getCount() == 0 ? "-" : bytes.getMin() + ".." + bytes.getMax());
    System.out.println(line);
    return line;
  }

  private int statusWrites() {
    return (int)
        rig.meters.get("dra.agent.cluster.view.writes").tag("result", "applied").counter().count();
  }

  @Test
  void agentStartWithTenDriversOnANodeWhoseObjectExists() {
    DRANode previous = new DRANode();
    previous.setMetadata(new ObjectMetaBuilder().withName(ClusterViewApi.NODE).build());
    rig.client.resources(DRANode.class).resource(previous).create();
    count();

    agentStartsWithTenDrivers();
    rig.advance(Duration.ofSeconds(30));

    report("agent start, 10 drivers, object exists", statusWrites());
    assertThat(statusWrites()).isLessThanOrEqualTo(2);
    assertThat(rig.view.status().summary().usable()).isEqualTo(DRIVERS);
  }

  @Test
  void agentStartWithTenDriversOnANewNode() {
    count();

    agentStartsWithTenDrivers();
    rig.advance(Duration.ofSeconds(30));

    report("agent start, 10 drivers, first start (object created)", statusWrites());
    assertThat(statusWrites()).isLessThanOrEqualTo(2);
  }

  @Test
  void tenDriversRegisteringAtOnce() {
    rig.start();
    rig.advance(Duration.ofMinutes(1));
    int before = statusWrites();
    count();

    for (int i = 0; i < DRIVERS; i++) {
      rig.register(driver(i), "a");
      ms(2);
    }
    ms(10);
    for (int i = 0; i < DRIVERS; i++) {
      rig.connect(driver(i), "a");
      ms(3);
    }
    ms(200);
    for (int i = 0; i < DRIVERS; i++) {
      rig.devices(driver(i), 8, 0);
      ms(20);
    }
    ms(500);
    for (int i = 0; i < DRIVERS; i++) { // each driver publishes its slices
      rig.slices(driver(i), 1);
      ms(30);
    }
    rig.advance(Duration.ofSeconds(30));

    report("10 drivers registering at once", statusWrites() - before);
    assertThat(statusWrites() - before).isLessThanOrEqualTo(4);
  }

  @Test
  void oneDriversRollingUpdate() {
    rig.start();
    for (int i = 0; i < DRIVERS; i++) {
      rig.slices(driver(i), 1);
      rig.register(driver(i), "a");
      rig.connect(driver(i), "a");
      rig.devices(driver(i), 8, 0);
    }
    rig.advance(Duration.ofMinutes(1));
    int before = statusWrites();
    count();

    rig.register(driver(0), "b"); // the new pod's plugin
    ms(10);
    rig.connect(driver(0), "b");
    ms(200);
    rig.devices(driver(0), 8, 0);
    rig.advance(Duration.ofSeconds(5)); // the new pod is ready: the old one is stopped
    rig.deregister(driver(0), "a");
    rig.advance(Duration.ofSeconds(30));

    report("one driver's rolling update (new instance, old one leaves)", statusWrites() - before);
    assertThat(statusWrites() - before).isLessThanOrEqualTo(4);
    assertThat(rig.view.status().drivers().get(0).instances()).hasSize(1);
  }

  @Test
  void tenIdleMinutes() {
    rig.start();
    for (int i = 0; i < DRIVERS; i++) {
      rig.slices(driver(i), 1);
      rig.register(driver(i), "a");
      rig.connect(driver(i), "a");
      rig.devices(driver(i), 8, 0);
    }
    rig.advance(Duration.ofMinutes(1));
    count();

    rig.advance(Duration.ofMinutes(10));

    report("10 idle minutes, 10 drivers", rig.requests() - mark);
    assertThat(rig.requests()).isEqualTo(mark);
  }
}
