package io.dranode.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client of the agent's {@code GET /api/v1/events} stream that timestamps every event as it
 * arrives (client side), so that latencies include everything a user of the stream would wait for.
 */
final class EventStream implements AutoCloseable {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /**
   * One event.
   *
   * @param time the agent's own timestamp of the event
   * @param receivedNanos {@link System#nanoTime()} in the harness when it arrived
   * @param receivedAt wall-clock time in the harness when it arrived
   */
  record Event(
      String type,
      String driver,
      String detail,
      Instant time,
      long receivedNanos,
      Instant receivedAt) {}

  private final ExecutorService reader =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "bench-sse");
            t.setDaemon(true);
            return t;
          });
  private final Object lock = new Object();
  private final Map<String, List<Event>> byKey = new HashMap<>(); // guarded by lock
  private final AtomicLong count = new AtomicLong();
  private final CompletableFuture<HttpResponse<InputStream>> response;

  private EventStream(CompletableFuture<HttpResponse<InputStream>> response) {
    this.response = response;
    reader.execute(this::read);
  }

  /**
   * Starts reading the stream. The agent sends its response headers only with the first event, so
   * whoever opens it must make an event happen before relying on it (see {@link BenchRun}).
   */
  static EventStream open(URI uri) {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    return new EventStream(
        http.sendAsync(
            HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").build(),
            HttpResponse.BodyHandlers.ofInputStream()));
  }

  private void read() {
    InputStream body;
    try {
      body = response.get().body();
    } catch (InterruptedException e) {
      return;
    } catch (ExecutionException e) {
      System.out.println("event stream failed: " + e.getCause());
      return;
    }
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String type = null;
      StringBuilder data = new StringBuilder();
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.isEmpty()) {
          if (type != null && data.length() > 0) {
            deliver(type, data.toString(), System.nanoTime(), Instant.now());
          }
          type = null;
          data.setLength(0);
        } else if (line.startsWith("event:")) {
          type = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5).trim());
        }
      }
    } catch (IOException e) {
      // the stream ends when the agent stops
    }
  }

  private void deliver(String type, String data, long nanos, Instant at) {
    JsonNode json = JSON.readTree(data);
    Event event =
        new Event(
            type,
            json.path("driver").asString(""),
            json.path("detail").asString(""),
            Instant.parse(json.path("time").asString()),
            nanos,
            at);
    count.incrementAndGet();
    synchronized (lock) {
      byKey.computeIfAbsent(key(type, event.driver()), k -> new ArrayList<>()).add(event);
      lock.notifyAll();
    }
  }

  /** Events received so far. */
  long count() {
    return count.get();
  }

  /** How many events of this type arrived (all drivers). */
  int countOf(String type) {
    synchronized (lock) {
      int n = 0;
      for (Map.Entry<String, List<Event>> e : byKey.entrySet()) {
        if (e.getKey().startsWith(type + "|")) {
          n += e.getValue().size();
        }
      }
      return n;
    }
  }

  /** The first event of this type and driver received after {@code afterNanos}; waits for it. */
  Event await(String type, String driver, long afterNanos, Duration bound)
      throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    synchronized (lock) {
      while (true) {
        Event found = find(type, driver, afterNanos);
        if (found != null) {
          return found;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException(
              "no '" + type + "' event of " + driver + " within " + bound);
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
    }
  }

  private @Nullable Event find(String type, String driver, long afterNanos) {
    List<Event> events = byKey.get(key(type, driver));
    if (events != null) {
      for (Event e : events) {
        if (e.receivedNanos() > afterNanos) {
          return e;
        }
      }
    }
    return null;
  }

  private static String key(String type, String driver) {
    return type + "|" + driver;
  }

  @Override
  public void close() {
    response.cancel(true);
    HttpResponse<InputStream> done = response.getNow(null);
    if (done != null) {
      try {
        done.body().close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    reader.shutdownNow();
  }
}
