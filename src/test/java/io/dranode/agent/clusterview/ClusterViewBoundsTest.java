package io.dranode.agent.clusterview;

import static org.assertj.core.api.Assertions.assertThat;

import io.dranode.agent.plugin.Rejection;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Whatever the plugins do, the object stays within its bounds and valid for its CRD: 200 drivers
 * with 20 instances each, 1,000 refused sockets, names and reasons of 64 KiB with control
 * characters and unicode. The figures are measured on the object the mock API stores, as JSON.
 */
class ClusterViewBoundsTest {

  static final int HUGE = 64 * 1024;

  final ClusterViewRig rig = new ClusterViewRig();

  @AfterEach
  void tearDown() {
    rig.close();
  }

  static String hostile(char filler) {
    return "\u001b[31m\n\u202e\u0000" + String.valueOf(filler).repeat(HUGE) + "\uD83D\uDE00\uD800";
  }

  /** What a file name can hold: anything but NUL and '/', and valid unicode. */
  static String hostileFileName() {
    return "\u001b[31m\n\u202e" + "ü".repeat(HUGE) + "\uD83D\uDE00";
  }

  @Test
  void floodsOfDriversInstancesAndRefusalsStayWithinBoundsAndValid() {
    rig.start();
    for (int d = 0; d < 200; d++) {
      String driver = "driver-" + d + ".example.com";
      for (int i = 0; i < 20; i++) {
        rig.register(driver, "instance-with-a-rather-long-name-" + i);
        if (d % 3 != 0) {
          rig.connect(driver, "instance-with-a-rather-long-name-" + i);
        }
      }
    }
    for (int s = 0; s < 1000; s++) {
      rig.store.reject(
          new Rejection(
              Path.of(ClusterViewRig.REGISTRY, s + "-" + hostileFileName() + ".sock"),
              s % 2 == 0 ? hostile('x') : "refused-" + s + ".example.com",
              hostile('r'),
              1,
              rig.clock.instant(),
              false));
    }
    rig.advance(Duration.ofSeconds(5));

    String json = Objects.requireNonNull(rig.api.objectJson());
    int objectBytes = json.getBytes(StandardCharsets.UTF_8).length;
    DRANodeStatus status =
        Objects.requireNonNull(Objects.requireNonNull(rig.api.object()).getStatus());
    System.out.printf(
        "DRANODE-BOUNDS 200 drivers x 20 instances, 1000 hostile refusals: object %d bytes,"
            + " status %d bytes, %d drivers listed (%s left out), %d rejected sockets listed%n",
        objectBytes,
        rig.view.json(status).getBytes(StandardCharsets.UTF_8).length,
        status.drivers().size(),
        status.driversOmitted(),
        status.rejectedSockets().size());

    assertThat(objectBytes).isLessThan(64 * 1024);
    assertThat(status.drivers()).hasSizeLessThanOrEqualTo(64).isNotEmpty();
    assertThat(status.drivers())
        .allSatisfy(d -> assertThat(d.instances()).hasSizeLessThanOrEqualTo(16));
    // 200 registered, and 500 refusals named a valid driver, which keeps an entry of its own.
    assertThat(status.summary().drivers()).isEqualTo(700);
    assertThat(status.driversOmitted()).isEqualTo(700 - status.drivers().size());
    assertThat(status.summary().rejectedSockets()).isEqualTo(1000);
    assertThat(status.rejectedSockets()).hasSize(20);
    assertThat(status.rejectedSocketsOmitted()).isEqualTo(980);
    assertThat(status.drivers())
        .as("not-ready drivers are kept first")
        .allSatisfy(d -> assertThat(StatusBounds.notReady(d)).isTrue());
    DRANodeStatus.Condition complete =
        status.conditions().stream()
            .filter(c -> c.type().equals(DRANodeStatus.LISTS_COMPLETE))
            .findFirst()
            .orElseThrow();
    assertThat(complete.status()).isEqualTo(DRANodeStatus.Status.FALSE);
    assertThat(complete.reason()).isEqualTo(DRANodeStatus.LISTS_TRUNCATED);
    assertThat(complete.message()).contains("980 rejected sockets").contains("older instances");
    assertThat(status.rejectedSockets())
        .allSatisfy(
            r -> {
              assertThat(r.reason().chars()).noneMatch(Character::isISOControl);
              assertThat(r.reason()).doesNotContain("\u202e");
            });

    JSONSchemaProps schema =
        ClusterViewApi.crd()
            .getSpec()
            .getVersions()
            .get(0)
            .getSchema()
            .getOpenAPIV3Schema()
            .getProperties()
            .get("status");
    assertThat(SchemaCheck.problems(Objects.requireNonNull(schema), rig.view.json(status)))
        .isEmpty();

    // The agent is unaffected: everything is still known, and a new driver registers as ever.
    assertThat(rig.store.drivers()).hasSize(200);
    rig.register("late.example.com", "a");
    rig.connect("late.example.com", "a");
    assertThat(rig.store.driver("late.example.com")).isPresent();
  }

  @Test
  void aValidStatusOfAnOrdinaryNodeIsCompleteAndValid() {
    rig.start();
    rig.register("gpu.example.com", "a");
    rig.connect("gpu.example.com", "a");
    rig.slices("gpu.example.com", 2);
    rig.devices("gpu.example.com", 4, 0);
    rig.advance(Duration.ofSeconds(5));

    DRANodeStatus status = rig.view.status();
    JSONSchemaProps schema =
        ClusterViewApi.crd()
            .getSpec()
            .getVersions()
            .get(0)
            .getSchema()
            .getOpenAPIV3Schema()
            .getProperties()
            .get("status");
    assertThat(SchemaCheck.problems(Objects.requireNonNull(schema), rig.view.json(status)))
        .isEmpty();
    assertThat(status.driversOmitted()).isNull();
    assertThat(rig.view.json(status)).doesNotContain("Omitted");
  }
}
