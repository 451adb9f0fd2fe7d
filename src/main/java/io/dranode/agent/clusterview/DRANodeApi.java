package io.dranode.agent.clusterview;

import io.dranode.agent.cleanup.KubernetesErrors;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The two requests that write a node's {@code DRANode}: create the object with its owner reference
 * (when it is missing), and a server-side apply of its status subresource as field manager {@value
 * #FIELD_MANAGER}, forced (the agent is the status's only writer). Each answer is classified for
 * the writer; nothing here retries or throws.
 */
final class DRANodeApi {

  /** The field manager of every status write. */
  static final String FIELD_MANAGER = "dra-node-agent";

  /** How a write went. */
  sealed interface Outcome {
    /** The status is in the object; {@code created} when the object was created first. */
    record Applied(boolean created) implements Outcome {}

    /** A fault worth retrying soon (5xx, 429, 409, a timeout, no connection). */
    record Failed(String detail, Duration retryAfter) implements Outcome {}

    /** The API server does not serve DRANode objects: the CRD is not installed. */
    record NotServed(String detail) implements Outcome {}

    /** Refused for a reason a retry will not change soon (403, 400, 422). */
    record Refused(String detail) implements Outcome {}
  }

  private final KubernetesClient client;
  private final String nodeName;

  DRANodeApi(KubernetesClient client, String nodeName) {
    this.client = client;
    this.nodeName = nodeName;
  }

  /**
   * Applies the status; when the object is missing, creates it, owned by the Node of that uid, and
   * applies again. Applying first costs one request on every write but the node's first.
   */
  Outcome write(DRANodeStatus status, @Nullable String nodeUid) {
    Outcome applied = apply(status);
    if (!(applied instanceof Outcome.NotServed)) {
      return applied;
    }
    if (nodeUid == null) {
      return new Outcome.Failed(
          "the Node " + nodeName + " has not been read yet (its uid is the owner)", Duration.ZERO);
    }
    // The object is missing, or the API server does not serve the resource: creating tells which.
    Outcome creation = create(nodeUid);
    if (!(creation instanceof Outcome.Applied)) {
      return creation;
    }
    Outcome again = apply(status);
    return again instanceof Outcome.Applied ? creation : again;
  }

  private Outcome create(String nodeUid) {
    DRANode object = new DRANode();
    object.setMetadata(
        new ObjectMetaBuilder()
            .withName(nodeName)
            .withOwnerReferences(
                new OwnerReferenceBuilder()
                    .withApiVersion("v1")
                    .withKind("Node")
                    .withName(nodeName)
                    .withUid(nodeUid)
                    .build())
            .build());
    try {
      client.resources(DRANode.class).resource(object).create();
      return new Outcome.Applied(true);
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return new Outcome.Applied(false); // it exists: created meanwhile, or by someone else
      }
      return classify(e);
    } catch (RuntimeException e) {
      return new Outcome.Failed(e.toString(), Duration.ZERO);
    }
  }

  private Outcome apply(DRANodeStatus status) {
    DRANode object = new DRANode();
    object.setMetadata(new ObjectMetaBuilder().withName(nodeName).build());
    object.setStatus(status);
    PatchContext apply = PatchContext.of(PatchType.SERVER_SIDE_APPLY);
    apply.setFieldManager(FIELD_MANAGER);
    apply.setForce(true);
    try {
      client.resources(DRANode.class).resource(object).subresource("status").patch(apply, object);
      return new Outcome.Applied(false);
    } catch (KubernetesClientException e) {
      return classify(e);
    } catch (RuntimeException e) {
      return new Outcome.Failed(e.toString(), Duration.ZERO);
    }
  }

  private static Outcome classify(KubernetesClientException e) {
    String detail = KubernetesErrors.describe(e);
    return switch (e.getCode()) {
      case HttpURLConnection.HTTP_NOT_FOUND -> new Outcome.NotServed(detail);
      case HttpURLConnection.HTTP_BAD_REQUEST, HttpURLConnection.HTTP_FORBIDDEN, 422 ->
          new Outcome.Refused(detail);
      default -> new Outcome.Failed(detail, KubernetesErrors.retryAfter(e));
    };
  }
}
