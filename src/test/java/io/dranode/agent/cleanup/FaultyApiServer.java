package io.dranode.agent.cleanup;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * fabric8's mock API server in CRUD mode behind a dispatcher that injects faults: HTTP 500, 503,
 * 429 with {@code Retry-After}, answers slower than the client's request timeout, 409 on deletes,
 * slow answers, and a closed port (the server stopped; its CRUD state survives and comes back on
 * the same port). Watches are websockets: each one is captured so that the test can drop it.
 *
 * <p>The CRUD mock ignores a watch's {@code resourceVersion} and replays only the objects that
 * exist, so a change made while no watch was open would be lost for good. A real API server replays
 * it, or, when it no longer can, answers 410 Gone and the informer lists again. This one does the
 * latter: a watch that would miss changes is refused with 410.
 *
 * <p>Requests of the test's own client (it impersonates {@value #EXEMPT_USER}) are never faulted,
 * so that set-up and checks see the real state.
 */
final class FaultyApiServer implements AutoCloseable {

  static final String EXEMPT_USER = "fault-exempt-test-admin";

  /** Marks the requests of the client the informer uses (faulted like every agent request). */
  static final String INFORMER_USER = "agent-informer";

  static final String SLICES = "/apis/resource.k8s.io/v1/resourceslices";

  /** What the server does to each request of the agent. */
  enum Fault {
    NONE,
    HTTP_500,
    HTTP_503,
    HTTP_429,
    /** Answers after the client's request timeout: the client gives up first. */
    TIMEOUT,
    /** Deletes of ResourceSlices answer 409 Conflict. */
    CONFLICT_ON_DELETE,
    /** Answers within the request timeout, but slowly. */
    SLOW,
    /** Nothing listens: connection refused. */
    REFUSED,
    /** Every request gets a random one of the above (but REFUSED), or none. */
    MIXED
  }

  private static final List<Fault> MIXABLE =
      List.of(
          Fault.NONE,
          Fault.HTTP_500,
          Fault.HTTP_503,
          Fault.HTTP_429,
          Fault.TIMEOUT,
          Fault.CONFLICT_ON_DELETE,
          Fault.SLOW);

  private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
  private final int port = freePort();
  private final Duration timeout;
  private final Duration slow;
  private final Random random;
  private final Set<Captured> watches = ConcurrentHashMap.newKeySet();
  private final List<String> log = new CopyOnWriteArrayList<>();
  private final AtomicInteger faulted = new AtomicInteger();
  private final AtomicInteger watchRequests = new AtomicInteger();
  private final AtomicInteger droppedWatches = new AtomicInteger();
  private final AtomicInteger expiredWatches = new AtomicInteger();
  // How many changes of slices the server made, and how many of them the agent's informer has
  // seen (by a list, or through a watch that was open when they happened).
  private final Object sync = new Object();
  private long changes; // guarded by sync
  private long seenByInformer; // guarded by sync
  private final Consumer<String> onSliceDelete;
  private final @Nullable String informerUser;
  private final ExecutorService sender =
      Executors.newSingleThreadExecutor(r -> new Thread(r, "faulty-api-sender"));
  private volatile Fault fault = Fault.NONE;
  private @Nullable KubernetesMockServer server;

  /**
   * @param timeout how late a {@link Fault#TIMEOUT} answer comes (longer than the client waits)
   * @param slow how late a {@link Fault#SLOW} answer comes (shorter than the client waits)
   * @param seed for {@link Fault#MIXED}
   * @param onSliceDelete told the name of every ResourceSlice the server really deletes, while the
   *     deleting request is being handled (the test checks who may be deleted)
   */
  FaultyApiServer(Duration timeout, Duration slow, long seed, Consumer<String> onSliceDelete) {
    this(timeout, slow, seed, onSliceDelete, INFORMER_USER);
  }

  /**
   * @param informerUser the user the informer's client impersonates, so that its lists can be told
   *     from the wiper's; null when every list of all slices by the agent counts (an agent process,
   *     whose one client cannot be marked)
   */
  FaultyApiServer(
      Duration timeout,
      Duration slow,
      long seed,
      Consumer<String> onSliceDelete,
      @Nullable String informerUser) {
    this.informerUser = informerUser;
    this.timeout = timeout;
    this.slow = slow;
    this.random = new Random(seed);
    this.onSliceDelete = onSliceDelete;
    start();
  }

  /** From now on, every request of the agent gets this fault. */
  synchronized void inject(Fault next) {
    if (next == Fault.REFUSED && fault != Fault.REFUSED) {
      stop();
    } else if (next != Fault.REFUSED && fault == Fault.REFUSED) {
      start();
    }
    fault = next;
  }

  Fault fault() {
    return fault;
  }

  boolean up() {
    return fault != Fault.REFUSED;
  }

  /** Closes every open watch, as an API server restart or a load balancer would. */
  int dropWatches() {
    int dropped = 0;
    for (Captured watch : watches) {
      if (watch.drop()) {
        dropped++;
      }
    }
    droppedWatches.addAndGet(dropped);
    return dropped;
  }

  int openWatches() {
    return watches.size();
  }

  int droppedWatches() {
    return droppedWatches.get();
  }

  int watchRequests() {
    return watchRequests.get();
  }

  /** Watches refused with 410 Gone because changes happened while no watch was open. */
  int expiredWatches() {
    return expiredWatches.get();
  }

  /** Requests answered with a fault (REFUSED ones never arrive, so they are not counted). */
  int faulted() {
    return faulted.get();
  }

  /** "METHOD path -> outcome" of every request of the agent. */
  List<String> log() {
    return List.copyOf(log);
  }

  String url() {
    return "http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + port + "/";
  }

  /**
   * The agent's side: no client retries (a fault reaches the agent's own backoff on the first
   * attempt), a short request timeout, quick watch reconnects.
   *
   * @param informer whether this client is the one the slice informer uses
   */
  KubernetesClient agentClient(Duration requestTimeout, boolean informer) {
    return requireServer()
        .createClient(
            b -> {
              var config =
                  b.editOrNewConfig()
                      .withMasterUrl(url())
                      .withRequestRetryBackoffLimit(0)
                      .withRequestTimeout((int) requestTimeout.toMillis())
                      .withConnectionTimeout((int) requestTimeout.toMillis())
                      .withWatchReconnectInterval(50);
              if (informer) {
                config.withImpersonateUsername(INFORMER_USER);
              }
              config.endConfig();
            });
  }

  /** The test's side: never faulted. Use only while the server is up. */
  KubernetesClient adminClient() {
    return requireServer()
        .createClient(
            b ->
                b.editOrNewConfig()
                    .withMasterUrl(url())
                    .withImpersonateUsername(EXEMPT_USER)
                    .endConfig());
  }

  private KubernetesMockServer requireServer() {
    KubernetesMockServer current = server;
    if (current == null) {
      throw new IllegalStateException("the API server is down");
    }
    return current;
  }

  private void start() {
    KubernetesMockServer started =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            new HashMap<>(),
            new Faults(),
            false);
    started.init(InetAddress.getLoopbackAddress(), port);
    server = started;
  }

  private void stop() {
    KubernetesMockServer current = server;
    if (current != null) {
      dropWatches();
      current.destroy();
      server = null;
    }
  }

  @Override
  public synchronized void close() {
    stop();
    sender.shutdownNow();
  }

  private final class Faults extends Dispatcher {
    @Override
    public MockResponse dispatch(RecordedRequest request) {
      String path = String.valueOf(request.getPath());
      String line = request.getMethod() + " " + path;
      boolean watch = path.contains("watch=true");
      if (watch) {
        watchRequests.incrementAndGet();
      }
      if (EXEMPT_USER.equals(request.getHeader("Impersonate-User"))) {
        synchronized (sync) {
          return crud(request, path, watch);
        }
      }
      Fault now = fault;
      if (now == Fault.MIXED) {
        synchronized (random) {
          now = MIXABLE.get(random.nextInt(MIXABLE.size()));
        }
      }
      MockResponse response;
      synchronized (sync) {
        response = faulted(request, path, watch, now);
      }
      if (response.code() >= 400) {
        faulted.incrementAndGet();
      }
      log.add(line + " -> " + (fault == Fault.MIXED ? "MIXED/" : "") + now + " " + response.code());
      return response;
    }

    /** Caller holds {@code sync}: changes and what the informer saw move together. */
    private MockResponse faulted(RecordedRequest request, String path, boolean watch, Fault now) {
      if (watch && now != Fault.HTTP_500 && now != Fault.HTTP_503 && now != Fault.HTTP_429) {
        if (watches.isEmpty() && changes > seenByInformer) {
          expiredWatches.incrementAndGet();
          return new MockResponse().withWebSocketUpgrade(new Expired());
        }
        return crud(request, path, true);
      }
      MockResponse response =
          switch (now) {
            case HTTP_500, HTTP_503, HTTP_429 -> failure(now);
            case CONFLICT_ON_DELETE ->
                "DELETE".equals(request.getMethod()) && path.startsWith(SLICES)
                    ? status(409, "Conflict", "the object has been modified")
                    : crud(request, path, false);
            case TIMEOUT -> crud(request, path, false).setBodyDelay(timeout);
            case SLOW -> crud(request, path, false).setBodyDelay(slow);
            default -> crud(request, path, false);
          };
      boolean informerList =
          "GET".equals(request.getMethod())
              && path.startsWith(SLICES)
              && !path.startsWith(SLICES + "/")
              && (informerUser == null
                  || informerUser.equals(request.getHeader("Impersonate-User")));
      if (informerList && response.code() == 200 && now != Fault.TIMEOUT) {
        seenByInformer = changes;
      }
      return response;
    }

    private MockResponse failure(Fault fault) {
      return switch (fault) {
        case HTTP_500 -> status(500, "InternalError", "injected: etcd is having a bad day");
        case HTTP_503 -> status(503, "ServiceUnavailable", "injected: apiserver is shutting down");
        default ->
            status(429, "TooManyRequests", "injected: too many requests")
                .setHeader("Retry-After", "1");
      };
    }

    private MockResponse crud(RecordedRequest request, String path, boolean watch) {
      if ("DELETE".equals(request.getMethod()) && path.startsWith(SLICES + "/")) {
        String name = path.substring(SLICES.length() + 1).split("\\?", 2)[0];
        onSliceDelete.accept(name);
      }
      MockResponse response = crud.dispatch(request);
      if (!"GET".equals(request.getMethod()) && path.startsWith(SLICES) && response.code() < 300) {
        synchronized (sync) {
          changes++;
          if (!watches.isEmpty()) {
            seenByInformer = changes; // delivered through the open watch
          }
        }
      }
      WebSocketListener listener = response.getWebSocketListener();
      if (watch && listener != null) {
        response.withWebSocketUpgrade(new Captured(listener));
      }
      return response;
    }
  }

  /**
   * Passes everything on to the CRUD dispatcher's watch listener and remembers the socket. A watch
   * is dropped through its listener, on the test's thread: the mock's listener waits, in {@code
   * onClosed}, for its pending sends, and when vert.x calls that on its event loop, a send to the
   * closing socket can only complete on that same loop: the whole server stalls for 30 s. After a
   * drop, vert.x's own close callbacks are therefore not passed on again.
   */
  /** A watch that starts too late: the API server's in-band "410 Gone", then the end. */
  private final class Expired extends WebSocketListener {
    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      // The mock's send waits for the write, which only its event loop (this thread) can do.
      sender.execute(
          () -> {
            webSocket.send(
                "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                    + "\"status\":\"Failure\",\"reason\":\"Expired\",\"code\":410,"
                    + "\"message\":\"too old resource version\"}}");
            webSocket.close(1000, "expired");
          });
    }
  }

  private final class Captured extends WebSocketListener {
    private final WebSocketListener delegate;
    private final AtomicBoolean dropped = new AtomicBoolean();
    private volatile @Nullable WebSocket socket;

    Captured(WebSocketListener delegate) {
      this.delegate = delegate;
    }

    boolean drop() {
      WebSocket open = socket;
      closed();
      if (open == null || !dropped.compareAndSet(false, true)) {
        return false;
      }
      delegate.onClosed(open, 1001, "dropped by the test"); // closes the socket, stops its sender
      return true;
    }

    private void closed() {
      synchronized (sync) {
        watches.remove(this);
      }
    }

    @Override
    public void onBeforeAccept(WebSocket webSocket, Response response) {
      delegate.onBeforeAccept(webSocket, response);
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      socket = webSocket;
      synchronized (sync) {
        watches.add(this);
      }
      delegate.onOpen(webSocket, response);
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      delegate.onMessage(webSocket, text);
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      closed();
      if (!dropped.get()) {
        delegate.onClosing(webSocket, code, reason);
      }
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      closed();
      if (!dropped.get()) {
        delegate.onClosed(webSocket, code, reason);
      }
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable t, Response response) {
      closed();
      if (!dropped.get()) {
        delegate.onFailure(webSocket, t, response);
      }
    }
  }

  private static MockResponse status(int code, String reason, String message) {
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", "application/json")
        .setBody(
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":"
                + code
                + ",\"reason\":\""
                + reason
                + "\",\"message\":\""
                + message
                + "\"}");
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
