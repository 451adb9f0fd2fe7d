package io.dranode.agent.report;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
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
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * fabric8's mock API server in CRUD mode with this node's Node, whose Event writes are recorded and
 * can be refused (an HTTP status) or left unanswered (longer than the client waits).
 */
final class EventsApi implements AutoCloseable {

  static final String NODE = "worker";
  static final String EVENTS = "/api/v1/namespaces/default/events";

  private final KubernetesMockServer server;
  private final List<String> eventWrites = new CopyOnWriteArrayList<>();
  private volatile int failWith; // 0: answer normally
  private volatile boolean hang;
  final String nodeUid;

  EventsApi() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    Dispatcher crud = new KubernetesMixedDispatcher(responses);
    Dispatcher dispatcher =
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String path = String.valueOf(request.getPath());
            boolean write = path.startsWith(EVENTS) && !"GET".equals(request.getMethod());
            if (write) {
              eventWrites.add(request.getMethod() + " " + path);
              if (failWith != 0) {
                return new MockResponse()
                    .setResponseCode(failWith)
                    .setBody("{\"kind\":\"Status\",\"code\":" + failWith + "}");
              }
            }
            MockResponse response = crud.dispatch(request);
            if (write && hang) {
              response.setBodyDelay(Duration.ofMinutes(5));
            }
            return response;
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
              .resource(
                  new NodeBuilder()
                      .withNewMetadata()
                      .withName(NODE)
                      .withUid("uid-of-worker")
                      .endMetadata()
                      .build())
              .create()
              .getMetadata()
              .getUid();
    }
  }

  /** A client of the agent's kind: no retries of its own, answers awaited this long at most. */
  KubernetesClient client(Duration requestTimeout) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(server.url("/"))
            .withTrustCerts(true)
            .withNamespace("default")
            .withRequestTimeout((int) requestTimeout.toMillis())
            .withRequestRetryBackoffLimit(0)
            .withHttp2Disable(true)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** Event writes refused with this status from now on; 0 answers them again. */
  void failEventWrites(int status) {
    this.failWith = status;
  }

  /** Event writes never answered in time from now on. */
  void hangEventWrites() {
    this.hang = true;
  }

  /** "POST path" / "PATCH path" of every Event write the server received, in order. */
  List<String> eventWrites() {
    return List.copyOf(eventWrites);
  }

  /** The Events stored, oldest first. */
  List<Event> events() {
    try (KubernetesClient admin = server.createClient()) {
      return admin.v1().events().inNamespace("default").list().getItems().stream()
          .sorted(Comparator.comparing(e -> e.getMetadata().getName()))
          .toList();
    }
  }

  @Override
  public void close() {
    server.destroy();
  }
}
