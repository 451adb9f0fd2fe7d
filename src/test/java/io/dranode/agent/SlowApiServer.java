package io.dranode.agent;

import io.fabric8.kubernetes.client.KubernetesClient;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * fabric8's mock API server in CRUD mode whose ResourceSlice answers can be made slow: the answer
 * is computed at once and sent after the delay by the server's event loop (a timer, no blocked
 * thread), like an overloaded API server, or fail. Watches are never touched. Every request is
 * recorded.
 */
final class SlowApiServer implements AutoCloseable {

  static final String SLICES = "/apis/resource.k8s.io/v1/resourceslices";

  private final KubernetesMockServer server;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private volatile Duration sliceDelay = Duration.ZERO;
  private volatile int sliceFailure; // 0: answer normally

  SlowApiServer() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    Dispatcher crud = new KubernetesMixedDispatcher(responses);
    Dispatcher slow =
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            requests.add(request.getMethod() + " " + request.getPath());
            String path = String.valueOf(request.getPath());
            int failure = sliceFailure;
            if (failure != 0 && path.startsWith(SLICES) && !path.contains("watch=")) {
              return new MockResponse()
                  .setResponseCode(failure)
                  .setBody("{\"kind\":\"Status\",\"code\":" + failure + "}");
            }
            MockResponse response = crud.dispatch(request);
            Duration delay = sliceDelay;
            if (!delay.isZero() && path.startsWith(SLICES) && !path.contains("watch=")) {
              response.setBodyDelay(delay);
            }
            return response;
          }
        };
    server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()), new MockWebServer(), responses, slow, false);
    server.init();
  }

  void sliceDelay(Duration delay) {
    this.sliceDelay = delay;
  }

  /** Makes every ResourceSlice request (watches aside) fail with this HTTP status; 0 heals. */
  void sliceFailure(int status) {
    this.sliceFailure = status;
  }

  /** What a client needs in {@code kubernetes.master}. */
  String url() {
    return server.url("/");
  }

  int requestCount() {
    return server.getRequestCount();
  }

  /** "METHOD path" of every request so far, in arrival order. */
  List<String> requests() {
    return List.copyOf(requests);
  }

  /** A client of the test's own, for set-up and checks; its requests count too. */
  KubernetesClient client() {
    return server.createClient();
  }

  @Override
  public void close() {
    server.destroy();
  }
}
