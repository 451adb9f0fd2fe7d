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
 * recorded when the mock dispatches it, which can be well after it was sent: the mock's one event
 * loop also serves watches, and it stalls while one of them is being torn down.
 */
final class SlowApiServer implements AutoCloseable {

  static final String SLICES = "/apis/resource.k8s.io/v1/resourceslices";

  private final KubernetesMockServer server;
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private volatile Duration sliceDelay = Duration.ZERO;
  private volatile int sliceFailure; // 0: answer normally

  SlowApiServer() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    Dispatcher crud = new KubernetesMixedDispatcher(responses);
    Dispatcher slow =
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String number = request.getHeader(SentRequests.HEADER);
            requests.add(
                new Recorded(
                    request.getMethod() + " " + request.getPath(),
                    number == null ? 0 : Integer.parseInt(number)));
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
    return requests.stream().map(Recorded::request).toList();
  }

  /** Every request so far, in arrival order, with the agent's number for it. */
  List<Recorded> recorded() {
    return List.copyOf(requests);
  }

  /**
   * One request as the mock dispatched it.
   *
   * @param request "METHOD path"
   * @param agentNumber the number the agent's {@link SentRequests} gave it; 0 for a request of
   *     anyone else (the test's own client)
   */
  record Recorded(String request, int agentNumber) {}

  /** A client of the test's own, for set-up and checks; its requests count too. */
  KubernetesClient client() {
    return server.createClient();
  }

  /**
   * Stops the mock. Its HTTP server can take longer to close than the mock's own bound: when a
   * watch is closed by the client (the agent's informer does so at close), the mock's watch
   * listener waits on its single event loop for sends that need that same loop, and the loop stalls
   * for up to ~30 s. The close then completes by itself once the loop is free (the mock closes
   * vert.x when its server's close future completes), so that one timeout is reported, not thrown:
   * it says nothing about the agent, whose promises the test has already checked.
   */
  @Override
  public void close() {
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      if (!String.valueOf(e.getMessage()).contains("Unable to close MockWebServer")) {
        throw e;
      }
      System.err.println("SlowApiServer: the mock's event loop is stalled; it closes by itself");
    }
  }
}
