package io.dranode.agent.cleanup;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.fabric8.kubernetes.api.model.StatusDetails;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.stereotype.Component;

/**
 * One attempt at deleting this node's ResourceSlices of one driver.
 *
 * <p>Why delete one by one instead of one {@code deletecollection}: a server may ignore field
 * selectors (fabric8's mock does; so might a proxy or an old server), and a collection delete with
 * an ignored selector would delete every slice of the cluster. Listing, checking {@code
 * spec.nodeName} and {@code spec.driver} of each returned object ourselves, and deleting exactly
 * that object with a resourceVersion precondition (stronger than a uid precondition: it also fails
 * if the object was replaced or changed since we checked it) can only ever delete what we checked.
 *
 * <p>Why several deletes at once is just as safe: each delete is still one checked object by name
 * with its precondition, so running them side by side changes when they happen, never what they may
 * delete. At most {@code dra.agent.wipe.parallel-deletes} are in flight (a semaphore, on the
 * context-owned {@code wipeExecutor}), so the API server sees a bounded burst. The "still wanted?"
 * check is made by the wiping thread right before it issues each delete, after it got a slot: once
 * the driver comes back, no further delete is issued; only those already sent (at most the limit)
 * can still land, and the attempt waits for them so that it reports exactly how many went. A failed
 * delete (other than NotFound, which is what we wanted, and Conflict, which is counted and looked
 * at again on the next attempt) stops issuing too. Interrupted (the context is closing), the
 * attempt cancels what is in flight and ends at once.
 */
@Component
public class SliceWiper {

  private static final Logger log = LoggerFactory.getLogger(SliceWiper.class);

  private final KubernetesClient client;
  private final NodeIdentity node;
  private final FieldSelectors selectors;
  private final Executor deletes;
  private final int parallelDeletes;

  public SliceWiper(
      KubernetesClient client,
      NodeIdentity node,
      AgentProperties properties,
      @Qualifier("wipeExecutor") Executor deletes) {
    this.client = client;
    this.node = node;
    this.selectors = properties.kubernetes().fieldSelectors();
    this.deletes = deletes;
    this.parallelDeletes = properties.wipe().parallelDeletes();
  }

  /** The result of a complete attempt. */
  public record Outcome(int deleted, boolean stoppedEarly) {}

  /** Thrown when an attempt must be retried; the message says why. */
  public static final class RetryableWipeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int deleted;
    private final Duration retryAfter;

    RetryableWipeException(String message) {
      this(message, 0, Duration.ZERO);
    }

    RetryableWipeException(String message, int deleted) {
      this(message, deleted, Duration.ZERO);
    }

    RetryableWipeException(String message, int deleted, Duration retryAfter) {
      super(message);
      this.deleted = deleted;
      this.retryAfter = retryAfter;
    }

    /** Slices this failed attempt did delete before it ended. */
    public int deleted() {
      return deleted;
    }

    /**
     * How long the API server asked us to wait before trying again (its {@code retryAfterSeconds},
     * sent with 429 and some 5xx answers); zero when it did not say.
     */
    public Duration retryAfter() {
      return retryAfter;
    }
  }

  /**
   * Deletes (or, in a dry run, counts) this node's slices of the driver, issuing no further delete
   * as soon as {@code stillWanted} turns false, and returns once every delete it issued has ended.
   *
   * @throws RetryableWipeException when the Node is not confirmed or the API server fails
   */
  public Outcome wipe(String driver, boolean dryRun, BooleanSupplier stillWanted) {
    if (!node.confirm()) {
      throw new RetryableWipeException(node.status().detail());
    }
    String nodeName = node.nodeName();
    List<ResourceSlice> listed;
    try {
      listed = list(nodeName, driver);
    } catch (KubernetesClientException e) {
      throw new RetryableWipeException(
          "listing slices failed: " + KubernetesErrors.describe(e),
          0,
          KubernetesErrors.retryAfter(e));
    }
    List<ResourceSlice> ours = new ArrayList<>();
    for (ResourceSlice slice : listed) {
      if (belongs(slice, nodeName, driver)) {
        ours.add(slice);
      }
    }
    return dryRun ? dryRun(driver, ours, stillWanted) : delete(driver, ours, stillWanted);
  }

  private static Outcome dryRun(String driver, List<ResourceSlice> ours, BooleanSupplier wanted) {
    int counted = 0;
    for (ResourceSlice slice : ours) {
      if (!wanted.getAsBoolean()) {
        return new Outcome(counted, true);
      }
      log.info(
          "Dry run: would delete ResourceSlice {} of driver {}",
          slice.getMetadata().getName(),
          driver);
      counted++;
    }
    return new Outcome(counted, false);
  }

  /** What the deletes of one attempt found; written by the delete tasks. */
  private static final class Tally {
    final AtomicInteger deleted = new AtomicInteger();
    final AtomicInteger conflicts = new AtomicInteger();
    final AtomicReference<@Nullable String> failure = new AtomicReference<>();
    final AtomicLong retryAfterMillis = new AtomicLong(); // the longest a server asked for
  }

  private Outcome delete(String driver, List<ResourceSlice> ours, BooleanSupplier stillWanted) {
    Semaphore slots = new Semaphore(parallelDeletes);
    Tally tally = new Tally();
    List<FutureTask<?>> issued = new ArrayList<>(ours.size());
    boolean stoppedEarly = false;
    // Nothing to overlap: the wiping thread deletes itself and saves a hand-off per delete.
    Executor runOn = ours.size() <= 1 || parallelDeletes == 1 ? Runnable::run : deletes;
    try {
      for (ResourceSlice slice : ours) {
        slots.acquire();
        // Checked after waiting for a slot, right before the delete goes out.
        if (tally.failure.get() != null) {
          slots.release();
          break;
        }
        if (!stillWanted.getAsBoolean()) {
          slots.release();
          stoppedEarly = true;
          break;
        }
        FutureTask<?> task = new FutureTask<>(() -> deleteOne(driver, slice, tally, slots), null);
        try {
          runOn.execute(task);
        } catch (RejectedExecutionException e) {
          slots.release();
          tally.failure.compareAndSet(null, "the agent is shutting down");
          break;
        }
        issued.add(task);
      }
      // Every delete that went out ends before the attempt does: the count is then exact.
      slots.acquire(parallelDeletes);
      slots.release(parallelDeletes);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      for (FutureTask<?> task : issued) {
        task.cancel(true);
      }
      throw new RetryableWipeException(
          "interrupted; deleted " + tally.deleted.get() + " so far", tally.deleted.get());
    }
    int deleted = tally.deleted.get();
    String failure = tally.failure.get();
    if (failure != null) {
      throw new RetryableWipeException(
          failure + "; deleted " + deleted + " so far",
          deleted,
          Duration.ofMillis(tally.retryAfterMillis.get()));
    }
    if (stoppedEarly) {
      return new Outcome(deleted, true);
    }
    int conflicts = tally.conflicts.get();
    if (conflicts > 0) {
      throw new RetryableWipeException(
          conflicts + " slice(s) changed while being deleted; deleted " + deleted + " so far",
          deleted);
    }
    return new Outcome(deleted, false);
  }

  /** One checked slice, by name, only if unchanged since listed. Runs on the wipe executor. */
  private void deleteOne(String driver, ResourceSlice slice, Tally tally, Semaphore slots) {
    String name = slice.getMetadata().getName();
    try {
      List<StatusDetails> gone =
          client
              .resources(ResourceSlice.class)
              .withName(name)
              .lockResourceVersion(slice.getMetadata().getResourceVersion())
              .delete();
      // The client answers NotFound with an empty list: already gone, not deleted by us.
      if (!gone.isEmpty()) {
        tally.deleted.incrementAndGet();
        log.debug("Deleted ResourceSlice {} of driver {}", name, driver);
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return; // already gone: that is what we wanted
      }
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        tally.conflicts.incrementAndGet(); // changed since listed: look again on the next attempt
        return;
      }
      tally.retryAfterMillis.accumulateAndGet(KubernetesErrors.retryAfter(e).toMillis(), Math::max);
      tally.failure.compareAndSet(
          null, "deleting ResourceSlice " + name + " failed: " + KubernetesErrors.describe(e));
    } catch (RuntimeException e) {
      tally.failure.compareAndSet(null, "deleting ResourceSlice " + name + " failed: " + e);
    } finally {
      slots.release();
    }
  }

  private List<ResourceSlice> list(String nodeName, String driver) {
    if (selectors == FieldSelectors.CLIENT) {
      return client.resources(ResourceSlice.class).list().getItems();
    }
    return client
        .resources(ResourceSlice.class)
        .withField("spec.nodeName", nodeName)
        .withField("spec.driver", driver)
        .list()
        .getItems();
  }

  /**
   * The check that makes a wipe safe whatever the server did with the selectors: this node's slice
   * of this driver, and one that needs the driver's kubelet plugin (a slice that declares it needs
   * none does not go stale when the plugin goes).
   */
  static boolean belongs(ResourceSlice slice, String nodeName, String driver) {
    return slice.getSpec() != null
        && nodeName.equals(slice.getSpec().getNodeName())
        && driver.equals(slice.getSpec().getDriver())
        && slice.getMetadata() != null
        && slice.getMetadata().getName() != null
        && !SweepExemptions.needsNoNodePlugin(slice);
  }
}
