package io.dranode.agent.web;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A client of a {@code text/event-stream} over real HTTP: the status and headers are known as soon
 * as they arrive ({@link #headers}), independently of any event, and events are read one at a time
 * with a bound. Comment lines ({@code :…}) are skipped, as an SSE client does.
 */
final class SseClient implements AutoCloseable {

  /** One event: its {@code event:} name and its {@code data:} (lines joined with {@code \n}). */
  record Event(String name, String data) {}

  /** Completes with the response's status and headers, before any of its body. */
  final CompletableFuture<HttpResponse.ResponseInfo> headers = new CompletableFuture<>();

  private static final String END = "\u0000end";

  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final CompletableFuture<HttpResponse<Void>> response;
  private volatile Flow.@Nullable Subscription subscription;

  private SseClient(HttpClient http, URI uri) {
    HttpRequest request =
        HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").GET().build();
    response =
        http.sendAsync(
            request,
            info -> {
              headers.complete(info);
              return BodySubscribers.fromLineSubscriber(new Lines());
            });
  }

  static SseClient open(HttpClient http, URI uri) {
    return new SseClient(http, uri);
  }

  /** The next event, or null when none came within the timeout or the stream ended. */
  @Nullable Event next(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String name = "message";
    @Nullable StringBuilder data = null;
    while (true) {
      String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (line == null || line.equals(END)) {
        return null;
      }
      if (line.isEmpty()) {
        if (data != null) {
          return new Event(name, data.toString());
        }
        name = "message"; // a block of comments only: no event
      } else if (line.startsWith(":")) {
        continue;
      } else if (line.startsWith("event:")) {
        name = field(line, "event:");
      } else if (line.startsWith("data:")) {
        data = data == null ? new StringBuilder() : data.append('\n');
        data.append(field(line, "data:"));
      }
    }
  }

  private static String field(String line, String prefix) {
    String value = line.substring(prefix.length());
    return value.startsWith(" ") ? value.substring(1) : value;
  }

  @Override
  public void close() {
    Flow.Subscription current = subscription;
    if (current != null) {
      current.cancel();
    }
    response.cancel(true);
  }

  private final class Lines implements Flow.Subscriber<String> {
    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String line) {
      lines.add(line);
    }

    @Override
    public void onError(Throwable t) {
      lines.add(END);
    }

    @Override
    public void onComplete() {
      lines.add(END);
    }
  }
}
