package io.dranode.agent.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.params.provider.Arguments.argumentSet;

import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.reliability.RawHttp.Response;
import io.dranode.agent.testing.Stores;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The REST API and the actuator of a running agent (real Tomcat) against requests no client should
 * send: unknown, malformed and huge paths, huge headers, odd {@code Accept} values, every mutating
 * method on every endpoint. Never a 500, never a stack trace; a problem detail wherever Spring
 * answers (Tomcat answers some malformed requests itself, before Spring sees them); and the API
 * stays read-only.
 */
@Tag("faults")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpAbuseTest {

  static final List<String> API =
      List.of(
          "/api/v1/plugins",
          "/api/v1/plugins/http.example.com",
          "/api/v1/cleanups",
          "/api/v1/resourceslices",
          "/api/v1/devices/health",
          "/api/v1/events",
          "/v3/api-docs");
  static final List<String> ACTUATOR =
      List.of(
          "/actuator/health",
          "/actuator/health/liveness",
          "/actuator/health/readiness",
          "/actuator/info",
          "/actuator/prometheus");
  static final List<String> MUTATING = List.of("POST", "PUT", "DELETE", "PATCH");

  final List<String> outcomes = new CopyOnWriteArrayList<>();
  RunningAgent agent;
  int api;

  @BeforeAll
  void start() throws Exception {
    agent = new RunningAgent();
    agent.start("--dra.agent.wipe.delay=1m");
    agent.driver("http.example.com");
    PluginStore store = agent.bean(PluginStore.class);
    await().atMost(Duration.ofSeconds(15)).until(() -> Stores.usable(store, "http.example.com"));
    api = agent.port("local.server.port");
  }

  @AfterAll
  void stop() throws IOException {
    System.out.println("HTTP outcomes:\n" + String.join("\n", outcomes));
    agent.close();
  }

  static Stream<Arguments> mutatingRequests() {
    List<Arguments> all = new ArrayList<>();
    for (String path : API) {
      for (String method : MUTATING) {
        all.add(argumentSet(method + " " + path, method, path, true));
      }
    }
    for (String path : ACTUATOR) {
      for (String method : MUTATING) {
        all.add(argumentSet(method + " " + path + " (actuator)", method, path, false));
      }
    }
    return all.stream();
  }

  @ParameterizedTest
  @MethodSource("mutatingRequests")
  void everyMutatingMethodIsMethodNotAllowed(String method, String path, boolean onApi)
      throws IOException {
    Response response = mutate(api, method, path, "{}");
    record(method + " " + path, response);

    assertThat(response.status()).isEqualTo(405);
    assertThat(response.headers().get("allow")).contains("GET");
    if (onApi) {
      assertThat(response.problem()).as("problem details: %s", response).isTrue();
      assertThat(response.body()).contains("\"status\":405").contains("Method Not Allowed");
    }
    assertNoLeak(response);
  }

  /** Invariant of the API itself: read-only. Snapshots before and after every mutating attempt. */
  @Test
  void theApiStaysReadOnly() throws IOException {
    String plugins = get("/api/v1/plugins").body();
    String cleanups = get("/api/v1/cleanups").body();
    String driver = get("/api/v1/plugins/http.example.com").body();
    String body = "{\"driver\":\"evil.example.com\",\"endpoint\":\"/etc/evil.sock\"}";

    for (String path : API) {
      for (String method : MUTATING) {
        assertThat(mutate(api, method, path, body).status()).isEqualTo(405);
      }
    }

    assertThat(get("/api/v1/plugins").body()).isEqualTo(plugins);
    assertThat(get("/api/v1/cleanups").body()).isEqualTo(cleanups);
    assertThat(get("/api/v1/plugins/http.example.com").body()).isEqualTo(driver);
    assertThat(agent.bean(PluginStore.class).drivers()).hasSize(1);
  }

  static Stream<Arguments> badPaths() {
    return Stream.of(
        argumentSet("unknown path", "/api/v1/nope", Set.of(404), true),
        argumentSet("unknown driver", "/api/v1/plugins/unknown.example.com", Set.of(404), true),
        argumentSet("invalid driver name", "/api/v1/plugins/Bad_Name", Set.of(400), true),
        argumentSet(
            "driver name of 4,000 characters",
            "/api/v1/plugins/" + "a".repeat(4000),
            Set.of(400),
            true),
        argumentSet("trailing slash", "/api/v1/plugins/", Set.of(404), true),
        argumentSet("path of 7,000 characters", "/api/v1/" + "x".repeat(7000), Set.of(404), true),
        argumentSet(
            "path of 100,000 characters",
            "/api/v1/" + "x".repeat(100_000),
            Set.of(400, 414, 431),
            false),
        argumentSet("encoded slash", "/api/v1/plugins/a%2Fb", Set.of(400, 404), false),
        argumentSet("encoded NUL", "/api/v1/plugins/a%00b", Set.of(400), false),
        argumentSet("bad percent escape", "/api/v1/plugins/%zz", Set.of(400), false),
        argumentSet(
            "dot-dot out of the root", "/api/v1/../../../etc/passwd", Set.of(400, 404), false),
        argumentSet(
            "encoded dot-dot to the actuator",
            "/api/v1/%2e%2e/%2e%2e/actuator/health",
            Set.of(400, 404),
            false),
        argumentSet("path parameter", "/api/v1/plugins;jsessionid=x", Set.of(200, 400, 404), false),
        argumentSet("double slash", "//api//v1//plugins", Set.of(200, 400, 404), false),
        argumentSet(
            "absolute URI", "http://evil.example.com/api/v1/plugins", Set.of(200, 400), false),
        argumentSet("raw non-ASCII byte", "/api/v1/plugins/\u00fc", Set.of(400), false),
        argumentSet("raw control character", "/api/v1/plugins/a\u0001b", Set.of(400), false));
  }

  @ParameterizedTest
  @MethodSource("badPaths")
  void aBadPathIsAClientError(String path, Set<Integer> expected, boolean problem)
      throws IOException {
    Response response = RawHttp.request(api, "GET", path, "Accept: application/json\r\n");
    record("GET " + abbreviate(path), response);

    assertThat(response.status()).isIn(expected);
    if (problem) {
      assertThat(response.problem()).as("problem details: %s", response).isTrue();
      assertThat(response.body()).contains("\"status\":" + response.status());
      // The problem's instance (and a 404's detail) echo the path, JSON-escaped; nothing more:
      // Tomcat's 8 KB limit on the request line bounds it.
      assertThat(response.body().length()).isLessThan(2 * path.length() + 1000);
    }
    assertNoLeak(response);
  }

  static Stream<Arguments> hugeHeaders() {
    return Stream.of(
        argumentSet(
            "one header of 64 KB", "X-Big: " + "a".repeat(64 * 1024) + "\r\n", Set.of(400, 431)),
        argumentSet("2,000 small headers", "X-Many: a\r\n".repeat(2000), Set.of(400, 431)),
        argumentSet(
            "a cookie of 16 KB", "Cookie: c=" + "a".repeat(16 * 1024) + "\r\n", Set.of(400, 431)),
        argumentSet(
            "one header of 6 KB (under the limit)",
            "X-Big: " + "a".repeat(6 * 1024) + "\r\n",
            Set.of(200)));
  }

  @ParameterizedTest
  @MethodSource("hugeHeaders")
  void hugeHeadersAreRefusedNeverAServerError(String headers, Set<Integer> expected)
      throws IOException {
    Response response = RawHttp.request(api, "GET", "/api/v1/plugins", headers);
    record("GET /api/v1/plugins with " + abbreviate(headers), response);

    assertThat(response.status()).isIn(expected);
    assertNoLeak(response);
  }

  static Stream<Arguments> oddAccepts() {
    return Stream.of(
        argumentSet("image/png", "/api/v1/plugins", "image/png", Set.of(406)),
        argumentSet(
            "text/event-stream on JSON", "/api/v1/plugins", "text/event-stream", Set.of(406)),
        argumentSet(
            "application/json on the event stream",
            "/api/v1/events",
            "application/json",
            Set.of(406)),
        argumentSet("*/*;q=0 (nothing acceptable)", "/api/v1/plugins", "*/*;q=0", Set.of(200, 406)),
        argumentSet("malformed ;;;///", "/api/v1/plugins", ";;;///", Set.of(400, 406)),
        argumentSet(
            "malformed quality q=abc",
            "/api/v1/plugins",
            "application/json;q=abc",
            Set.of(200, 400, 406)),
        argumentSet("a wildcard subtype only", "/api/v1/plugins", "*/json", Set.of(200, 400, 406)),
        argumentSet(
            "1,000 media types",
            "/api/v1/plugins",
            "text/x-a, ".repeat(1000) + "image/gif",
            Set.of(400, 406)),
        argumentSet(
            "problem+json on an unknown path",
            "/api/v1/nope",
            "application/problem+json",
            Set.of(404)));
  }

  @ParameterizedTest
  @MethodSource("oddAccepts")
  void anOddAcceptIsNeverAServerError(String path, String accept, Set<Integer> expected)
      throws IOException {
    Response response = RawHttp.request(api, "GET", path, "Accept: " + accept + "\r\n");
    record("GET " + path + " Accept: " + abbreviate(accept), response);

    assertThat(response.status()).isIn(expected);
    assertNoLeak(response);
  }

  static Stream<Arguments> oddRequests() {
    return Stream.of(
        argumentSet(
            "TRACE",
            "TRACE /api/v1/plugins HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            Set.of(405)),
        argumentSet(
            "OPTIONS",
            "OPTIONS /api/v1/plugins HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            Set.of(200)),
        argumentSet(
            "HEAD",
            "HEAD /api/v1/plugins HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            Set.of(200)),
        argumentSet(
            "an invented method",
            "BREW /api/v1/plugins HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            Set.of(400, 405, 501)),
        argumentSet(
            "HTTP/9.9",
            "GET /api/v1/plugins HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
            Set.of(400, 505)),
        argumentSet(
            "no Host header",
            "GET /api/v1/plugins HTTP/1.1\r\nConnection: close\r\n\r\n",
            Set.of(400)),
        argumentSet("binary garbage", "\u0000\u0001\u0002garbage\r\n\r\n", Set.of(400)),
        argumentSet(
            "a body of 1 MB on GET",
            "GET /api/v1/plugins HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1048576\r\n\r\n"
                + "a".repeat(1 << 20),
            Set.of(200, 400, 413)));
  }

  @ParameterizedTest
  @MethodSource("oddRequests")
  void anOddRequestIsNeverAServerError(String raw, Set<Integer> expected) throws IOException {
    Response response = RawHttp.send(api, raw.getBytes(StandardCharsets.ISO_8859_1));
    record(abbreviate(raw.substring(0, Math.min(raw.length(), 40))), response);

    assertThat(response.status()).isIn(expected).isNotEqualTo(500);
    assertNoLeak(response);
  }

  /** A mutating request with a JSON body. */
  private static Response mutate(int port, String method, String path, String json)
      throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    String head =
        method
            + " "
            + path
            + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            + "Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: "
            + body.length
            + "\r\n\r\n";
    byte[] head8 = head.getBytes(StandardCharsets.ISO_8859_1);
    byte[] request = new byte[head8.length + body.length];
    System.arraycopy(head8, 0, request, 0, head8.length);
    System.arraycopy(body, 0, request, head8.length, body.length);
    return RawHttp.send(port, request);
  }

  private Response get(String path) throws IOException {
    Response response = RawHttp.request(api, "GET", path, "Accept: application/json\r\n");
    assertThat(response.status()).as("GET %s", path).isEqualTo(200);
    return response;
  }

  private void record(String request, Response response) {
    outcomes.add(
        String.format(
            "%-70s -> %d %s",
            request,
            response.status(),
            response.problem() ? "problem+json" : response.contentType()));
  }

  /** No stack trace, no class names, no server internals in an error body. */
  private static void assertNoLeak(Response response) {
    assertThat(response.status()).isNotEqualTo(500);
    assertThat(response.body())
        .doesNotContain("Exception")
        .doesNotContain("at org.")
        .doesNotContain("at io.")
        .doesNotContain("Apache Tomcat/");
  }

  private static String abbreviate(String text) {
    String printable = text.replace("\r\n", "\\r\\n").replaceAll("\\p{Cntrl}", "?");
    return printable.length() > 60
        ? printable.substring(0, 45) + "… (" + text.length() + " chars)"
        : printable;
  }
}
