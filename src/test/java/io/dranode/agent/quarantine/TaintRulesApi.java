package io.dranode.agent.quarantine;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * fabric8's CRUD mock with this node's Node, serving DeviceTaintRules in the API versions a test
 * chooses (their discovery documents included), recording every write of one, and able to refuse a
 * number of creates or hold one until released.
 */
final class TaintRulesApi implements AutoCloseable {

  static final String NODE = "worker";

  private final KubernetesMockServer server;
  private final List<String> writes = new CopyOnWriteArrayList<>();
  private final List<String> served;
  private final AtomicInteger failCreates = new AtomicInteger();
  private volatile @Nullable CountDownLatch holdCreate;
  private final CountDownLatch createArrived = new CountDownLatch(1);
  final String nodeUid;

  /** Serving DeviceTaintRules in these versions of resource.k8s.io ("v1", "v1beta2"), or none. */
  TaintRulesApi(String... versions) {
    this.served = List.of(versions);
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    Dispatcher crud = new KubernetesMixedDispatcher(responses);
    Dispatcher dispatcher =
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String path = String.valueOf(request.getPath());
            for (String version : List.of("v1", "v1beta2")) {
              if (path.equals("/apis/resource.k8s.io/" + version)) {
                return discovery(version);
              }
            }
            boolean write =
                path.startsWith("/apis/resource.k8s.io/")
                    && path.contains("/devicetaintrules")
                    && !"GET".equals(request.getMethod());
            if (write) {
              writes.add(request.getMethod() + " " + path);
              if ("POST".equals(request.getMethod())) {
                createArrived.countDown();
                CountDownLatch hold = holdCreate;
                if (hold != null) {
                  try {
                    hold.await(30, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }
                if (failCreates.getAndDecrement() > 0) {
                  return new MockResponse()
                      .setResponseCode(500)
                      .setBody("{\"kind\":\"Status\",\"code\":500}");
                }
              }
            }
            return crud.dispatch(request);
          }
        };
    server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            responses,
            dispatcher,
            false);
    server.init();
    try (KubernetesClient admin = server.createClient()) {
      nodeUid =
          admin
              .nodes()
              .resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build())
              .create()
              .getMetadata()
              .getUid();
    }
  }

  private MockResponse discovery(String version) {
    if (!served.contains(version)) {
      return new MockResponse().setResponseCode(404).setBody("{\"kind\":\"Status\",\"code\":404}");
    }
    return new MockResponse()
        .setResponseCode(200)
        .setHeader("Content-Type", "application/json")
        .setBody(
            "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"resource.k8s.io/"
                + version
                + "\",\"resources\":[{\"name\":\"resourceslices\",\"kind\":\"ResourceSlice\","
                + "\"namespaced\":false,\"verbs\":[\"get\",\"list\"]},{\"name\":\"devicetaintrules\","
                + "\"kind\":\"DeviceTaintRule\",\"namespaced\":false,\"verbs\":[\"create\",\"delete\"]}]}");
  }

  KubernetesClient client() {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(server.url("/"))
            .withRequestRetryBackoffLimit(0)
            .withHttp2Disable(true)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** The next {@code count} creates are answered 500. */
  void failCreates(int count) {
    failCreates.set(count);
  }

  /** Creates wait until {@link #release()}. */
  void holdCreates() {
    holdCreate = new CountDownLatch(1);
  }

  void release() {
    CountDownLatch hold = holdCreate;
    holdCreate = null;
    if (hold != null) {
      hold.countDown();
    }
  }

  boolean awaitCreate() throws InterruptedException {
    return createArrived.await(20, TimeUnit.SECONDS);
  }

  List<String> writes() {
    return List.copyOf(writes);
  }

  /** The DeviceTaintRules stored in this version. */
  List<GenericKubernetesResource> rules(String version) {
    try (KubernetesClient admin = server.createClient()) {
      return admin
          .genericKubernetesResources(
              new ResourceDefinitionContext.Builder()
                  .withGroup("resource.k8s.io")
                  .withVersion(version)
                  .withKind("DeviceTaintRule")
                  .withPlural("devicetaintrules")
                  .withNamespaced(false)
                  .build())
          .list()
          .getItems();
    }
  }

  /** Stores a rule as another writer (an earlier agent, another node's) left it. */
  void put(String version, GenericKubernetesResource rule) {
    try (KubernetesClient admin = server.createClient()) {
      admin
          .genericKubernetesResources(
              new ResourceDefinitionContext.Builder()
                  .withGroup("resource.k8s.io")
                  .withVersion(version)
                  .withKind("DeviceTaintRule")
                  .withPlural("devicetaintrules")
                  .withNamespaced(false)
                  .build())
          .resource(rule)
          .create();
    }
  }

  @Override
  public void close() {
    release();
    server.destroy();
  }
}
