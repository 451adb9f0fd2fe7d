package io.dranode.agent.config;

import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientImpl;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fabric8's JDK HTTP client, made to end with the Kubernetes client. On Java 17 a {@link
 * HttpClient} cannot be closed: fabric8's close only shuts down its executor, and an exchange
 * already handed to the JDK (a wipe's LIST whose caller was interrupted at shutdown, a watch that
 * fabric8's informer opened while it was being stopped) still goes out and stays open afterwards.
 * Here every exchange and WebSocket is tracked: closing refuses new ones, cancels those in flight
 * (which aborts them since Java 16) and aborts open WebSockets, so that once the client is closed
 * nothing of ours talks to the API server (docs/ARCHITECTURE.md, invariant 5). The JDK client's
 * work runs on threads named {@code dra-k8s-http-N} that end after a short idle time (fabric8's own
 * pool keeps them a minute), and that end with the client.
 */
final class ClosingJdkHttpClientFactory extends JdkHttpClientFactory {

  private static final Logger log = LoggerFactory.getLogger(ClosingJdkHttpClientFactory.class);

  /** Bound on waiting for a WebSocket handshake in flight at close, to abort what it opens. */
  static final Duration HANDSHAKE_WAIT = Duration.ofSeconds(2);

  private final List<ClosingHttpClient> clients = new CopyOnWriteArrayList<>();
  private final List<ExecutorService> executors = new CopyOnWriteArrayList<>();

  @Override
  protected HttpClient.Builder createNewHttpClientBuilder() {
    AtomicInteger count = new AtomicInteger();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            0,
            Integer.MAX_VALUE,
            ExecutorsConfig.IDLE_THREAD_KEEP_ALIVE_SECONDS,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            task -> {
              Thread thread =
                  new Thread(
                      task, ExecutorsConfig.THREAD_PREFIX + "k8s-http-" + count.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    executors.add(executor);
    return new Builder(super.createNewHttpClientBuilder().executor(executor));
  }

  @Override
  protected void closeHttpClient(JdkHttpClientImpl client) {
    // fabric8 shares one JDK client between a client and the clients derived from it, and closes
    // it once, when the root closes; the agent builds one root client per factory.
    clients.forEach(ClosingHttpClient::close);
    super.closeHttpClient(client);
    executors.forEach(ExecutorService::shutdownNow);
  }

  /** The JDK builder, building a tracking client. */
  private final class Builder implements HttpClient.Builder {
    private final HttpClient.Builder delegate;

    Builder(HttpClient.Builder delegate) {
      this.delegate = delegate;
    }

    @Override
    public HttpClient.Builder cookieHandler(CookieHandler cookieHandler) {
      delegate.cookieHandler(cookieHandler);
      return this;
    }

    @Override
    public HttpClient.Builder connectTimeout(Duration duration) {
      delegate.connectTimeout(duration);
      return this;
    }

    @Override
    public HttpClient.Builder sslContext(SSLContext sslContext) {
      delegate.sslContext(sslContext);
      return this;
    }

    @Override
    public HttpClient.Builder sslParameters(SSLParameters sslParameters) {
      delegate.sslParameters(sslParameters);
      return this;
    }

    @Override
    public HttpClient.Builder executor(Executor executor) {
      delegate.executor(executor);
      return this;
    }

    @Override
    public HttpClient.Builder followRedirects(HttpClient.Redirect policy) {
      delegate.followRedirects(policy);
      return this;
    }

    @Override
    public HttpClient.Builder version(HttpClient.Version version) {
      delegate.version(version);
      return this;
    }

    @Override
    public HttpClient.Builder priority(int priority) {
      delegate.priority(priority);
      return this;
    }

    @Override
    public HttpClient.Builder proxy(ProxySelector proxySelector) {
      delegate.proxy(proxySelector);
      return this;
    }

    @Override
    public HttpClient.Builder authenticator(Authenticator authenticator) {
      delegate.authenticator(authenticator);
      return this;
    }

    @Override
    public HttpClient build() {
      ClosingHttpClient client = new ClosingHttpClient(delegate.build());
      clients.add(client);
      return client;
    }
  }

  /** A JDK client that knows what it has in flight. */
  static final class ClosingHttpClient extends HttpClient {
    private final HttpClient delegate;
    private final Object lock = new Object();
    private final Set<CompletableFuture<?>> exchanges = new HashSet<>(); // guarded by lock
    private final Set<CompletableFuture<WebSocket>> handshakes = new HashSet<>(); // guarded by lock
    private final Set<WebSocket> sockets = new HashSet<>(); // guarded by lock
    private boolean closed; // guarded by lock

    ClosingHttpClient(HttpClient delegate) {
      this.delegate = delegate;
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
      return delegate.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
      return delegate.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
      return delegate.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
      return delegate.proxy();
    }

    @Override
    public SSLContext sslContext() {
      return delegate.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
      return delegate.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
      return delegate.authenticator();
    }

    @Override
    public Version version() {
      return delegate.version();
    }

    @Override
    public Optional<Executor> executor() {
      return delegate.executor();
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
        throws IOException, InterruptedException {
      try {
        return sendAsync(request, handler).get();
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof IOException io) {
          throw io;
        }
        throw new IOException(cause);
      }
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(
        HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      return track(() -> delegate.sendAsync(request, handler));
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(
        HttpRequest request,
        HttpResponse.BodyHandler<T> handler,
        HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
      return track(() -> delegate.sendAsync(request, handler, pushPromiseHandler));
    }

    private <T> CompletableFuture<T> track(java.util.function.Supplier<CompletableFuture<T>> send) {
      CompletableFuture<T> exchange;
      synchronized (lock) {
        if (closed) {
          return CompletableFuture.failedFuture(new IOException("Kubernetes client closed"));
        }
        exchange = send.get();
        exchanges.add(exchange);
      }
      var unused =
          exchange.whenComplete(
              (r, e) -> {
                synchronized (lock) {
                  exchanges.remove(exchange);
                }
              });
      return exchange;
    }

    @Override
    public WebSocket.Builder newWebSocketBuilder() {
      WebSocket.Builder builder = delegate.newWebSocketBuilder();
      return new WebSocket.Builder() {
        @Override
        public WebSocket.Builder header(String name, String value) {
          builder.header(name, value);
          return this;
        }

        @Override
        public WebSocket.Builder connectTimeout(Duration timeout) {
          builder.connectTimeout(timeout);
          return this;
        }

        @Override
        public WebSocket.Builder subprotocols(String mostPreferred, String... lesserPreferred) {
          builder.subprotocols(mostPreferred, lesserPreferred);
          return this;
        }

        @Override
        public CompletableFuture<WebSocket> buildAsync(URI uri, WebSocket.Listener listener) {
          return open(() -> builder.buildAsync(uri, listener));
        }
      };
    }

    private CompletableFuture<WebSocket> open(
        java.util.function.Supplier<CompletableFuture<WebSocket>> build) {
      CompletableFuture<WebSocket> handshake;
      synchronized (lock) {
        if (closed) {
          return CompletableFuture.failedFuture(new IOException("Kubernetes client closed"));
        }
        handshake = build.get();
        handshakes.add(handshake);
      }
      return handshake.whenComplete(
          (socket, e) -> {
            boolean abort;
            synchronized (lock) {
              handshakes.remove(handshake);
              abort = closed;
              if (socket != null && !closed) {
                sockets.add(socket);
              }
            }
            if (socket != null && abort) {
              socket.abort(); // opened while we closed: never let it live
            }
          });
    }

    /** Refuses new exchanges, aborts those in flight and every WebSocket. */
    void close() {
      List<CompletableFuture<?>> inFlight;
      List<CompletableFuture<WebSocket>> opening;
      List<WebSocket> open;
      synchronized (lock) {
        closed = true;
        inFlight = new ArrayList<>(exchanges);
        opening = new ArrayList<>(handshakes);
        open = new ArrayList<>(sockets);
        exchanges.clear();
        sockets.clear();
      }
      inFlight.forEach(exchange -> exchange.cancel(true));
      open.forEach(WebSocket::abort);
      // The JDK cannot cancel an opening handshake: wait for it, bounded, so that what it opens
      // is aborted (see open()) before close returns.
      for (CompletableFuture<WebSocket> handshake : opening) {
        try {
          handshake.get(HANDSHAKE_WAIT.toMillis(), TimeUnit.MILLISECONDS).abort();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (Exception e) {
          log.debug("WebSocket handshake in flight at close ended: {}", e.toString());
        }
      }
      if (!inFlight.isEmpty() || !opening.isEmpty() || !open.isEmpty()) {
        log.debug(
            "Kubernetes client closed: {} exchange(s) cancelled, {} WebSocket(s) aborted, {}"
                + " handshake(s) awaited",
            inFlight.size(),
            open.size(),
            opening.size());
      }
    }
  }
}
