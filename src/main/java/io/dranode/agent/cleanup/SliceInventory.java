package io.dranode.agent.cleanup;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.FieldSelectors;
import io.dranode.agent.config.Phases;
import io.dranode.agent.event.Subscription;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * This node's ResourceSlices, kept by one informer (one LIST, then one WATCH; no periodic resync),
 * filtered by {@code spec.nodeName} on the server and checked again on every read.
 */
@Component
public class SliceInventory implements SmartLifecycle {

  /** Longest start-up wait for the API server's answer to the first list. */
  static final Duration FIRST_ANSWER = Duration.ofSeconds(5);

  private static final Logger log = LoggerFactory.getLogger(SliceInventory.class);

  private final KubernetesClient client;
  private final String nodeName;
  private final FieldSelectors selectors;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile @Nullable SharedIndexInformer<ResourceSlice> informer;
  private volatile boolean running;

  public SliceInventory(KubernetesClient client, AgentProperties properties) {
    this.client = client;
    this.nodeName = properties.nodeName();
    this.selectors = properties.kubernetes().fieldSelectors();
  }

  /**
   * Adds a listener told, on the Kubernetes client's thread, whenever this node's slices may have
   * changed (one was added, changed or deleted, or the first list arrived); closing the handle
   * removes it. It must only record or queue.
   */
  public Subscription subscribe(Runnable changed) {
    listeners.add(changed);
    return () -> listeners.remove(changed);
  }

  private void changed() {
    listeners.forEach(Runnable::run);
  }

  /** Whether the first LIST arrived: before that, absence of slices means nothing. */
  public boolean synced() {
    SharedIndexInformer<ResourceSlice> current = informer;
    return current != null && current.hasSynced();
  }

  /** Whether the watch is currently established. */
  public boolean watching() {
    SharedIndexInformer<ResourceSlice> current = informer;
    return current != null && current.isWatching();
  }

  /** This node's slices, by driver name, each list by slice name. */
  public Map<String, List<ResourceSlice>> byDriver() {
    Map<String, List<ResourceSlice>> byDriver = new TreeMap<>();
    SharedIndexInformer<ResourceSlice> current = informer;
    if (current == null) {
      return byDriver;
    }
    for (ResourceSlice slice : current.getStore().list()) {
      if (slice.getSpec() != null
          && nodeName.equals(slice.getSpec().getNodeName())
          && slice.getSpec().getDriver() != null) {
        byDriver.computeIfAbsent(slice.getSpec().getDriver(), d -> new ArrayList<>()).add(slice);
      }
    }
    byDriver.values().forEach(l -> l.sort(Comparator.comparing(s -> s.getMetadata().getName())));
    return byDriver;
  }

  /**
   * Starts the informer and waits, at most {@link #FIRST_ANSWER}, for the API server's answer to
   * its first list: a server that does not serve {@code resource.k8s.io/v1} stops start-up with a
   * message saying so (the agent can do nothing useful there); any other failure (no API server
   * yet) is retried in the background while the agent runs.
   */
  @Override
  public void start() {
    Informable<ResourceSlice> source =
        selectors == FieldSelectors.CLIENT
            ? client.resources(ResourceSlice.class)
            : client.resources(ResourceSlice.class).withField("spec.nodeName", nodeName);
    running = true;
    CompletableFuture<@Nullable KubernetesClientException> firstAnswer = new CompletableFuture<>();
    try {
      SharedIndexInformer<ResourceSlice> created = source.runnableInformer(0);
      // fabric8's default stops an informer for good when its first list fails (the API server
      // is down when the agent starts) or on a watch error other than 410 Gone: the slices would
      // never be known again and no sweep would run until a restart. Retry, with fabric8's own
      // backoff, for as long as we run.
      created.exceptionHandler(
          (started, error) -> {
            firstAnswer.complete(kubernetesCause(error));
            log.debug("ResourceSlice informer failed (started: {}); retrying", started, error);
            return running;
          });
      created.addEventHandler(
          new ResourceEventHandler<>() {
            @Override
            public void onAdd(ResourceSlice slice) {
              changed();
            }

            @Override
            public void onUpdate(ResourceSlice before, ResourceSlice after) {
              changed();
            }

            @Override
            public void onDelete(ResourceSlice slice, boolean finalStateUnknown) {
              changed();
            }
          });
      informer = created;
      created
          .start()
          .whenComplete(
              (ok, error) -> {
                firstAnswer.complete(null);
                changed();
                if (error != null) {
                  log.warn("ResourceSlice informer could not start: {}", error.toString());
                } else {
                  log.info("Watching ResourceSlices of node {}", nodeName);
                }
              });
    } catch (KubernetesClientException e) {
      log.warn("ResourceSlice informer could not be created: {}", KubernetesErrors.describe(e));
      return;
    }
    KubernetesClientException failure = awaitFirstAnswer(firstAnswer);
    if (failure != null && failure.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
      stop();
      throw new ApiNotServedException(
          "the API server does not serve ResourceSlices of resource.k8s.io/v1 ("
              + KubernetesErrors.describe(failure)
              + "); the agent needs Kubernetes 1.34 or newer");
    }
  }

  private static @Nullable KubernetesClientException kubernetesCause(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
      if (e instanceof KubernetesClientException k) {
        return k;
      }
    }
    return null;
  }

  private static @Nullable KubernetesClientException awaitFirstAnswer(
      CompletableFuture<@Nullable KubernetesClientException> firstAnswer) {
    try {
      return firstAnswer.get(FIRST_ANSWER.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException | TimeoutException e) {
      log.info("The API server has not answered the first ResourceSlice list yet; going on");
      return null;
    }
  }

  @Override
  public void stop() {
    running = false;
    SharedIndexInformer<ResourceSlice> current = informer;
    if (current != null) {
      current.stop();
      // fabric8's Reflector (8.0.0) closes the watch it knows of before it marks itself stopped,
      // and starts a watch after a LIST only if not marked stopped: a LIST that completes in
      // between starts a watch that nothing closes. Stopping again, now that it is marked, closes
      // that one; the client's close aborts whatever is still opening.
      current.stop();
    }
    informer = null;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return Phases.KUBERNETES;
  }
}
