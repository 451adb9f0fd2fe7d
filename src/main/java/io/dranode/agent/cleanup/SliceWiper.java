package io.dranode.agent.cleanup;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
 * It also lets a wipe stop between two deletes when the driver comes back.
 */
@Component
public class SliceWiper {

  private static final Logger log = LoggerFactory.getLogger(SliceWiper.class);

  private final KubernetesClient client;
  private final NodeIdentity node;
  private final FieldSelectors selectors;

  public SliceWiper(KubernetesClient client, NodeIdentity node, AgentProperties properties) {
    this.client = client;
    this.node = node;
    this.selectors = properties.kubernetes().fieldSelectors();
  }

  /** The result of a complete attempt. */
  public record Outcome(int deleted, boolean stoppedEarly) {}

  /** Thrown when an attempt must be retried; the message says why. */
  public static final class RetryableWipeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RetryableWipeException(String message) {
      super(message);
    }
  }

  /**
   * Deletes (or, in a dry run, counts) this node's slices of the driver, stopping before the next
   * delete as soon as {@code stillWanted} turns false.
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
      throw new RetryableWipeException("listing slices failed: " + KubernetesErrors.describe(e));
    }
    int deleted = 0;
    int conflicts = 0;
    for (ResourceSlice slice : listed) {
      if (!belongs(slice, nodeName, driver)) {
        continue;
      }
      if (!stillWanted.getAsBoolean()) {
        return new Outcome(deleted, true);
      }
      String name = slice.getMetadata().getName();
      if (dryRun) {
        log.info("Dry run: would delete ResourceSlice {} of driver {}", name, driver);
        deleted++;
        continue;
      }
      try {
        client
            .resources(ResourceSlice.class)
            .withName(name)
            .lockResourceVersion(slice.getMetadata().getResourceVersion())
            .delete();
        deleted++;
        log.debug("Deleted ResourceSlice {} of driver {}", name, driver);
      } catch (KubernetesClientException e) {
        if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
          continue; // already gone: that is what we wanted
        }
        if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
          conflicts++; // changed since listed: look again on the next attempt
          continue;
        }
        throw new RetryableWipeException(
            "deleting ResourceSlice " + name + " failed: " + KubernetesErrors.describe(e));
      }
    }
    if (conflicts > 0) {
      throw new RetryableWipeException(
          conflicts + " slice(s) changed while being deleted; deleted " + deleted + " so far");
    }
    return new Outcome(deleted, false);
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

  /** The check that makes a wipe safe whatever the server did with the selectors. */
  static boolean belongs(ResourceSlice slice, String nodeName, String driver) {
    return slice.getSpec() != null
        && nodeName.equals(slice.getSpec().getNodeName())
        && driver.equals(slice.getSpec().getDriver())
        && slice.getMetadata() != null
        && slice.getMetadata().getName() != null;
  }
}
