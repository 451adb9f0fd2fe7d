package io.dranode.bench;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * fabric8's in-memory API server in CRUD mode, in the harness's JVM, on 127.0.0.1, recording every
 * request it receives (method, path, query, arrival time, and whether the agent or the harness sent
 * it). The agent's client reaches it through {@code -Dkubernetes.master}.
 */
final class MockApi implements AutoCloseable {

  static final String HARNESS_USER_AGENT = "dra-bench-harness";

  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final List<ApiRequest> requests = new ArrayList<>(); // guarded by itself

  MockApi(String nodeName) {
    KubernetesCrudDispatcher dispatcher =
        new KubernetesCrudDispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            record(request);
            return super.dispatch(request);
          }
        };
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(url())
            .withNamespace("default")
            .withUserAgent(HARNESS_USER_AGENT)
            .withRequestTimeout(30_000)
            .build();
    client = new KubernetesClientBuilder().withConfig(config).build();
    client
        .nodes()
        .resource(new NodeBuilder().withNewMetadata().withName(nodeName).endMetadata().build())
        .create();
  }

  private void record(RecordedRequest request) {
    long nanos = System.nanoTime();
    Instant at = Instant.now();
    String target = request.getPath();
    int q = target.indexOf('?');
    String userAgent = request.getHeader("User-Agent");
    ApiRequest recorded =
        new ApiRequest(
            request.getMethod(),
            q < 0 ? target : target.substring(0, q),
            q < 0 ? "" : target.substring(q + 1),
            userAgent == null || !userAgent.startsWith(HARNESS_USER_AGENT),
            nanos,
            at);
    synchronized (requests) {
      requests.add(recorded);
    }
  }

  String url() {
    return "http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + server.getPort();
  }

  /** The harness's own client (its requests are recorded as not the agent's). */
  KubernetesClient client() {
    return client;
  }

  /** How many requests were recorded so far: a mark to read from later. */
  int mark() {
    synchronized (requests) {
      return requests.size();
    }
  }

  /** The agent's requests recorded since the mark. */
  List<ApiRequest> agentRequestsSince(int mark) {
    synchronized (requests) {
      return requests.subList(mark, requests.size()).stream()
          .filter(ApiRequest::fromAgent)
          .toList();
    }
  }

  /** The first of the agent's requests since the mark that matches, or null. */
  @org.jspecify.annotations.Nullable
  ApiRequest firstSince(int mark, Predicate<ApiRequest> match) {
    for (ApiRequest r : agentRequestsSince(mark)) {
      if (match.test(r)) {
        return r;
      }
    }
    return null;
  }

  /** Agent requests since the mark, counted by kind, e.g. {@code {DELETE=1000, LIST=1}}. */
  Map<String, Integer> countByKind(int mark) {
    Map<String, Integer> counts = new TreeMap<>();
    for (ApiRequest r : agentRequestsSince(mark)) {
      counts.merge(r.kind(), 1, Integer::sum);
    }
    return counts;
  }

  /** Creates a ResourceSlice with a fixed name (so that deletes can be traced back to a driver). */
  void createSlice(String name, String driver, String node) {
    ResourceSlice slice =
        new ResourceSliceBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withNewSpec()
            .withDriver(driver)
            .withNodeName(node)
            .withNewPool()
            .withName(node)
            .withGeneration(1L)
            .withResourceSliceCount(1L)
            .endPool()
            .addNewDevice()
            .withName("dev-0")
            .endDevice()
            .endSpec()
            .build();
    client.resources(ResourceSlice.class).resource(slice).create();
  }

  /** The slices the in-memory API holds now. */
  List<ResourceSlice> slices() {
    return client.resources(ResourceSlice.class).list().getItems();
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
