package io.dranode.agent.clusterview;

import static io.dranode.agent.clusterview.DRANodeStatus.DOCUMENT_MAX_BYTES;
import static io.dranode.agent.clusterview.DRANodeStatus.DRIVERS_MAX;
import static io.dranode.agent.clusterview.DRANodeStatus.INSTANCES_MAX;
import static io.dranode.agent.clusterview.DRANodeStatus.MESSAGE_MAX;
import static io.dranode.agent.clusterview.DRANodeStatus.REJECTED_SOCKETS_MAX;

import io.dranode.agent.input.Untrusted;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Cuts a status to its bounds: at most {@value DRANodeStatus#INSTANCES_MAX} instances per driver
 * (the newest), {@value DRANodeStatus#REJECTED_SOCKETS_MAX} rejected sockets (by path) and {@value
 * DRANodeStatus#DRIVERS_MAX} drivers, and as many drivers as fit in {@value
 * DRANodeStatus#DOCUMENT_MAX_BYTES} bytes of JSON. Drivers that are not ready are kept first: they
 * are what an operator looks for. What was left out is counted, and the {@value
 * DRANodeStatus#LISTS_COMPLETE} condition says so.
 */
final class StatusBounds {

  /** Room kept for the ListsComplete condition, whose message depends on what was cut. */
  private static final int CONDITION_ROOM = MESSAGE_MAX + 160;

  private static final Comparator<DRANodeStatus.Driver> NOT_READY_FIRST =
      Comparator.comparing((DRANodeStatus.Driver d) -> !notReady(d))
          .thenComparing(DRANodeStatus.Driver::name);

  private final KubernetesSerialization serialization;
  private final Clock clock;
  private DRANodeStatus.@Nullable Condition listsComplete; // guarded by this

  StatusBounds(KubernetesSerialization serialization, Clock clock) {
    this.serialization = serialization;
    this.clock = clock;
  }

  static boolean notReady(DRANodeStatus.Driver driver) {
    return driver.conditions().stream().anyMatch(c -> c.status() == DRANodeStatus.Status.FALSE);
  }

  DRANodeStatus apply(
      DRANodeStatus.Agent agent,
      List<DRANodeStatus.Driver> all,
      List<DRANodeStatus.RejectedSocket> rejectedAll,
      DRANodeStatus.@Nullable Condition driversReady,
      int pendingWipes) {
    DRANodeStatus.Summary summary =
        new DRANodeStatus.Summary(
            all.size(),
            (int) all.stream().filter(DRANodeStatus.Driver::usable).count(),
            (int) all.stream().filter(StatusBounds::notReady).count(),
            rejectedAll.size(),
            pendingWipes);

    int instancesCut = 0;
    List<DRANodeStatus.Driver> candidates = new ArrayList<>(all.size());
    for (DRANodeStatus.Driver driver : all) {
      if (driver.instances().size() > INSTANCES_MAX) {
        instancesCut++;
      }
      candidates.add(withInstancesBounded(driver));
    }
    candidates.sort(NOT_READY_FIRST);

    List<DRANodeStatus.RejectedSocket> rejected =
        rejectedAll.stream()
            .sorted(Comparator.comparing(DRANodeStatus.RejectedSocket::socket))
            .limit(REJECTED_SOCKETS_MAX)
            .toList();

    List<DRANodeStatus.Condition> conditions = new ArrayList<>(2);
    if (driversReady != null) {
      conditions.add(driversReady);
    }
    DRANodeStatus base =
        new DRANodeStatus(
            agent,
            summary,
            List.of(),
            omitted(all.size()),
            rejected,
            omitted(rejectedAll.size()),
            conditions);
    int used = bytes(base) + CONDITION_ROOM;
    List<DRANodeStatus.Driver> kept = new ArrayList<>(Math.min(candidates.size(), DRIVERS_MAX));
    for (DRANodeStatus.Driver driver : candidates) {
      int size = bytes(driver) + 1; // and a comma
      if (kept.size() == DRIVERS_MAX || used + size > DOCUMENT_MAX_BYTES) {
        break;
      }
      kept.add(driver);
      used += size;
    }
    kept.sort(Comparator.comparing(DRANodeStatus.Driver::name));

    int driversLeftOut = all.size() - kept.size();
    int socketsLeftOut = rejectedAll.size() - rejected.size();
    conditions.add(listsComplete(driversLeftOut, all.size(), socketsLeftOut, instancesCut));
    return new DRANodeStatus(
        agent,
        summary,
        kept,
        omitted(driversLeftOut),
        rejected,
        omitted(socketsLeftOut),
        List.copyOf(conditions));
  }

  private static DRANodeStatus.Driver withInstancesBounded(DRANodeStatus.Driver driver) {
    List<DRANodeStatus.Instance> instances = driver.instances();
    if (instances.size() <= INSTANCES_MAX) {
      return driver;
    }
    return new DRANodeStatus.Driver(
        driver.name(),
        driver.usable(),
        List.copyOf(instances.subList(instances.size() - INSTANCES_MAX, instances.size())),
        instances.size() - INSTANCES_MAX,
        driver.resourceSlices(),
        driver.devices(),
        driver.pendingWipe(),
        driver.lastWipe(),
        driver.keptBecause(),
        driver.conditions());
  }

  /** The condition, its transition time kept while its status stays. */
  private synchronized DRANodeStatus.Condition listsComplete(
      int driversLeftOut, int drivers, int socketsLeftOut, int instancesCut) {
    boolean complete = driversLeftOut == 0 && socketsLeftOut == 0 && instancesCut == 0;
    DRANodeStatus.Status status = complete ? DRANodeStatus.Status.TRUE : DRANodeStatus.Status.FALSE;
    String message;
    if (complete) {
      message = "every driver, instance and rejected socket is listed";
    } else {
      List<String> cuts = new ArrayList<>(3);
      if (driversLeftOut > 0) {
        cuts.add(driversLeftOut + " of " + drivers + " drivers");
      }
      if (socketsLeftOut > 0) {
        cuts.add(socketsLeftOut + " rejected sockets");
      }
      if (instancesCut > 0) {
        cuts.add("older instances of " + instancesCut + " drivers");
      }
      message =
          "left out: "
              + String.join(", ", cuts)
              + " (at most "
              + DRIVERS_MAX
              + " drivers, "
              + INSTANCES_MAX
              + " instances each, "
              + REJECTED_SOCKETS_MAX
              + " rejected sockets, "
              + DOCUMENT_MAX_BYTES / 1024
              + " KiB); GET /api/v1/plugins on the node lists everything";
    }
    DRANodeStatus.Condition previous = listsComplete;
    String since =
        previous != null && previous.status() == status
            ? previous.lastTransitionTime()
            : ClusterView.time(clock.instant());
    DRANodeStatus.Condition next =
        new DRANodeStatus.Condition(
            DRANodeStatus.LISTS_COMPLETE,
            status,
            complete ? DRANodeStatus.ALL_LISTED : DRANodeStatus.LISTS_TRUNCATED,
            Untrusted.bounded(message, MESSAGE_MAX),
            since);
    listsComplete = next;
    return next;
  }

  private static @Nullable Integer omitted(int leftOut) {
    return leftOut > 0 ? leftOut : null;
  }

  int bytes(Object value) {
    return serialization.asJson(value).getBytes(StandardCharsets.UTF_8).length;
  }
}
