package io.dranode.agent.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.api.v1.GetPluginRequest;
import io.dranode.agent.api.v1.InspectionGrpc;
import io.dranode.agent.api.v1.ListCleanupsRequest;
import io.dranode.agent.api.v1.ListDeviceHealthRequest;
import io.dranode.agent.api.v1.ListPluginsRequest;
import io.dranode.agent.api.v1.ListResourceSlicesRequest;
import io.dranode.agent.api.v1.PluginEvent;
import io.dranode.agent.api.v1.WatchPluginsRequest;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.testing.GrpcReflection;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewSpec;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.http.server.PathContainer;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * The agent in {@code kubernetes} mode against the mock API's TokenReview and SubjectAccessReview
 * expectations: every REST endpoint, the SSE stream, the OpenAPI document, metrics and info, and
 * every gRPC method, without a token, with a bad one, with a valid one that may not, and with one
 * that may; the probes open without one; what the reviews ask; caching; API failures.
 */
class KubernetesModeTest {

  static final String DRIVER = "gpu.example.com";

  /** Granted exactly what the chart's reader ClusterRole grants. */
  static final String READER = "reader-token";

  /** Valid, but granted nothing. */
  static final String OUTSIDER = "outsider-token";

  static SecuredAgent agent;

  @BeforeAll
  static void start() throws Exception {
    agent = new SecuredAgent();
    agent
        .api
        .token(READER, "reader")
        .grant("reader", ChartReaderRole.paths().toArray(String[]::new))
        .token(OUTSIDER, "outsider");
    agent.start();
    Path root = agent.root;
    agent
        .bean(PluginStore.class)
        .register(
            DRIVER,
            root.resolve("plugins/gpu/dra.sock").toString(),
            root.resolve("plugins_registry/gpu-reg.sock"),
            "v1.DRAPlugin",
            null);
  }

  @AfterAll
  static void stop() throws Exception {
    agent.close();
  }

  @AfterEach
  void heal() {
    agent.api.fail(0);
    agent.api.delay(Duration.ZERO);
  }

  static final String EVENTS = "/api/v1/events";

  /**
   * Every REST, document and actuator endpoint but the SSE stream ({@link #EVENTS}) and the full
   * health; {@code mgmt:} = actuator (on the HTTP port, as by default). {@link
   * #theTestsReachEveryEndpointTheAgentServes} keeps the list complete.
   */
  static Stream<String> endpoints() {
    return Stream.of(
        "/api/v1/plugins",
        "/api/v1/plugins/" + DRIVER,
        "/api/v1/cleanups",
        "/api/v1/resourceslices",
        "/api/v1/devices/health",
        "/api/v1/node",
        "/v3/api-docs",
        "/v3/api-docs.yaml",
        "mgmt:/actuator/prometheus",
        "mgmt:/actuator/info");
  }

  /**
   * A new endpoint fails here until it is in {@link #endpoints()}, where a reader with the chart's
   * role must get 200 and everyone else 401 or 403. ({@code /error} is only reached as the error
   * dispatch of another request; asked for directly it is checked like any path.)
   */
  @Test
  void theTestsReachEveryEndpointTheAgentServes() {
    List<String> tested =
        Stream.concat(endpoints(), Stream.of(EVENTS, "mgmt:/actuator/health"))
            .map(e -> e.replace("mgmt:", ""))
            .toList();
    RequestMappingHandlerMapping mappings =
        agent.context().getBean("requestMappingHandlerMapping", RequestMappingHandlerMapping.class);
    List<String> rest =
        mappings.getHandlerMethods().keySet().stream()
            .flatMap(info -> info.getPatternValues().stream())
            .filter(pattern -> !pattern.equals("/error"))
            .distinct()
            .toList();
    List<String> actuator =
        List.copyOf(agent.bean(PathMappedEndpoints.class).getAllPaths()); // e.g. /actuator/info

    assertThat(rest).contains("/api/v1/plugins/{driver}");
    assertThat(Stream.concat(rest.stream(), actuator.stream()))
        .allSatisfy(
            pattern ->
                assertThat(tested)
                    .as("a tested path for %s", pattern)
                    .anyMatch(
                        path ->
                            PathPatternParser.defaultInstance
                                .parse(pattern)
                                .matches(PathContainer.parsePath(path))));
  }

  /** The full health is no probe: it needs a token, and the reader role grants it. */
  @Test
  void aReaderMayReadTheFullHealth() throws Exception {
    HttpResponse<String> health = agent.getManagement("/actuator/health", READER);

    // 503 when a component is down (the test's plugin has no socket): an answer, not a refusal
    assertThat(health.statusCode()).as(health.body()).isIn(200, 503);
    assertThat(health.body()).contains("\"components\"").doesNotContain("\"title\"");
  }

  private static HttpResponse<String> get(String endpoint, @Nullable String token)
      throws Exception {
    return endpoint.startsWith("mgmt:")
        ? agent.getManagement(endpoint.substring(5), token)
        : agent.get(endpoint, token);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("endpoints")
  void withoutATokenIs401WithABearerChallenge(String endpoint) throws Exception {
    HttpResponse<String> response = get(endpoint, null);

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("WWW-Authenticate"))
        .contains("Bearer realm=\"dra-node-agent\"");
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(response.body())
        .contains("\"status\":401", "\"title\":\"Unauthorized\"", "Authorization: Bearer <token>")
        .contains("\"instance\":\"" + endpoint.replace("mgmt:", "") + "\"");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("endpoints")
  void aTokenTheApiServerRefusesIs401AndNotEchoed(String endpoint) throws Exception {
    String bad = "not-a-valid-token-" + endpoint.hashCode();

    HttpResponse<String> response = get(endpoint, bad);

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("WWW-Authenticate"))
        .contains("Bearer realm=\"dra-node-agent\", error=\"invalid_token\"");
    assertThat(response.body()).contains("TokenReview").doesNotContain(bad);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("endpoints")
  void aValidTokenWithoutAccessIs403(String endpoint) throws Exception {
    HttpResponse<String> response = get(endpoint, OUTSIDER);

    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.body())
        .contains("\"title\":\"Forbidden\"", "user \\\"outsider\\\" may not get")
        .doesNotContain(OUTSIDER);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("endpoints")
  void aReaderGets200(String endpoint) throws Exception {
    HttpResponse<String> response = get(endpoint, READER);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    if (endpoint.contains("prometheus")) {
      assertThat(response.body()).contains("dra_agent_auth_reviews_total");
    }
  }

  @Test
  void aHeaderThatIsNotABearerTokenIs401() throws Exception {
    HttpResponse<String> basic = agent.getWithHeader("/api/v1/plugins", "Basic dXNlcjpwYXNz");

    assertThat(basic.statusCode()).isEqualTo(401);
    assertThat(basic.body()).contains("is not 'Bearer <token>'").doesNotContain("dXNlcjpwYXNz");
  }

  /** A first request of a token is suspended while its reviews run, SSE included. */
  @Test
  void theEventStreamOpensForAReaderAndIsRefusedOtherwise() throws Exception {
    agent.api.token("sse-token", "reader");
    agent.api.delay(Duration.ofMillis(200)); // the request is surely suspended meanwhile

    HttpResponse<Stream<String>> stream =
        agent
            .http()
            .send(
                HttpRequest.newBuilder(URI.create("https://localhost:" + agent.port() + EVENTS))
                    .header("Authorization", "Bearer sse-token")
                    .build(),
                HttpResponse.BodyHandlers.ofLines());
    try (Stream<String> lines = stream.body()) {
      assertThat(stream.statusCode()).isEqualTo(200);
      assertThat(stream.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
      assertThat(lines.findFirst()).contains(":stream open");
    }
    assertThat(agent.get(EVENTS, null).statusCode()).isEqualTo(401);
    assertThat(agent.get(EVENTS, OUTSIDER).statusCode()).isEqualTo(403);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/actuator/health/liveness", "/actuator/health/readiness"})
  void probesAnswerWithoutAToken(String probe) throws Exception {
    assertThat(agent.getManagement(probe, null).statusCode()).isEqualTo(200);
    assertThat(agent.getManagement(probe, "whatever").statusCode()).isEqualTo(200);
  }

  @Test
  void theFullHealthIsNotAProbe() throws Exception {
    assertThat(agent.getManagement("/actuator/health", null).statusCode()).isEqualTo(401);
  }

  /**
   * The container decodes and normalises the path before it is authorized, so a path that climbs
   * out of a granted prefix is checked as what it reaches.
   */
  @Test
  void aPathIsAuthorizedAsTheContainerResolvesIt() throws Exception {
    agent.api.token("narrow-token", "narrow").grant("narrow", "/api/v1/*");

    HttpResponse<String> climbing = agent.get("/api/v1/../../v3/api-docs", "narrow-token");

    assertThat(climbing.statusCode()).isEqualTo(403);
    assertThat(agent.api.reviews("access", "narrow /v3/api-docs")).isEqualTo(1);
    assertThat(agent.get("/api/v1/%70lugins", "narrow-token").statusCode()).isEqualTo(200);
  }

  @Test
  void theReviewsAskWhatTheKubeletAsks() throws Exception {
    agent.api.token("asking-token", "asker").grant("asker", "/api/v1/cleanups");

    assertThat(agent.get("/api/v1/cleanups", "asking-token").statusCode()).isEqualTo(200);
    assertThat(
            SecuredAgent.code(
                () ->
                    agent
                        .inspection("asking-token")
                        .listCleanups(ListCleanupsRequest.getDefaultInstance())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);

    assertThat(agent.api.tokenQuestions())
        .filteredOn(q -> q.getSpec().getToken().equals("asking-token"))
        .singleElement()
        .satisfies(q -> assertThat(q.getSpec().getAudiences()).isEmpty());
    List<SubjectAccessReviewSpec> asked =
        agent.api.accessQuestions().stream()
            .map(SubjectAccessReview::getSpec)
            .filter(spec -> spec.getUser().equals("asker"))
            .toList();
    assertThat(asked)
        .extracting(
            spec ->
                spec.getNonResourceAttributes().getVerb()
                    + " "
                    + spec.getNonResourceAttributes().getPath())
        .containsExactly("get /api/v1/cleanups", "get /dranode.agent.v1.Inspection/ListCleanups");
    SubjectAccessReviewSpec first = asked.get(0);
    assertThat(first.getGroups()).containsExactly("system:authenticated", "group-of-asker");
    assertThat(first.getUid()).isEqualTo("uid-asker");
    assertThat(first.getExtra())
        .containsEntry("authentication.kubernetes.io/node-name", List.of(ReviewApiServer.NODE));
    assertThat(first.getResourceAttributes()).isNull();
  }

  /** A figure of docs/BENCHMARKS.md: requests per review with caching. */
  @Test
  void oneReviewOfEachKindServesAHundredRequests() throws Exception {
    agent.api.token("cache-token", "cacher").grant("cacher", "/api/v1/plugins");

    for (int i = 0; i < 100; i++) {
      assertThat(agent.get("/api/v1/plugins", "cache-token").statusCode()).isEqualTo(200);
    }

    long tokenReviews = agent.api.reviews("token", "cache-token");
    long accessReviews = agent.api.reviews("access", "cacher /api/v1/plugins");
    assertThat(tokenReviews).isEqualTo(1);
    assertThat(accessReviews).isEqualTo(1);
    System.out.printf(
        "caching: 100 requests with one token: %d TokenReview, %d SubjectAccessReview%n",
        tokenReviews, accessReviews);
  }

  /** Identical requests while the first review is in flight share it (docs/BENCHMARKS.md). */
  @Test
  void concurrentRequestsWithOneTokenShareOneReview() throws Exception {
    agent.api.token("shared-token", "sharer").grant("sharer", "/api/v1/cleanups");
    agent.api.delay(Duration.ofMillis(500));

    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      responses.add(
          agent
              .http()
              .sendAsync(
                  HttpRequest.newBuilder(
                          URI.create("https://localhost:" + agent.port() + "/api/v1/cleanups"))
                      .header("Authorization", "Bearer shared-token")
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
    }

    assertThat(responses)
        .allSatisfy(r -> assertThat(r.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200));
    long tokenReviews = agent.api.reviews("token", "shared-token");
    long accessReviews = agent.api.reviews("access", "sharer /api/v1/cleanups");
    assertThat(tokenReviews).isEqualTo(1);
    assertThat(accessReviews).isEqualTo(1);
    System.out.printf(
        "caching: 50 concurrent requests with one new token: %d TokenReview, %d"
            + " SubjectAccessReview%n",
        tokenReviews, accessReviews);
  }

  @Test
  void aRefusedTokenIsRememberedBriefly() throws Exception {
    for (int i = 0; i < 20; i++) {
      assertThat(agent.get("/api/v1/plugins", "refused-token").statusCode()).isEqualTo(401);
    }

    assertThat(agent.api.reviews("token", "refused-token")).isEqualTo(1);
  }

  /** Fail closed, say why, and ask again next time: a failure is not cached. */
  @Test
  void anApiServerThatFailsMeans503AndProbesStayUp() throws Exception {
    agent.api.token("failing-token", "reader");
    agent.api.fail(500);

    HttpResponse<String> first = agent.get("/api/v1/plugins", "failing-token");
    HttpResponse<String> second = agent.get("/api/v1/plugins", "failing-token");
    Status grpc =
        status(
            () ->
                agent
                    .inspection("failing-token")
                    .listPlugins(ListPluginsRequest.getDefaultInstance()));

    assertThat(first.statusCode()).isEqualTo(503);
    assertThat(first.body())
        .contains("\"title\":\"Service Unavailable\"", "answered the TokenReview with HTTP 500");
    assertThat(first.headers().firstValue("Retry-After")).contains("5");
    assertThat(second.statusCode()).isEqualTo(503);
    assertThat(grpc.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(grpc.getDescription()).contains("HTTP 500");
    assertThat(agent.api.reviews("token", "failing-token")).isEqualTo(3);
    assertThat(agent.getManagement("/actuator/health/liveness", null).statusCode()).isEqualTo(200);
    assertThat(agent.getManagement("/actuator/health/readiness", null).statusCode()).isEqualTo(200);

    agent.api.fail(0);
    assertThat(agent.get("/api/v1/plugins", "failing-token").statusCode()).isEqualTo(200);
  }

  /** One call of each gRPC method of dranode.agent.v1.Inspection. */
  static Stream<Arguments> grpcMethods() {
    return Stream.of(
        Arguments.of(
            "ListPlugins",
            (Consumer<InspectionGrpc.InspectionBlockingStub>)
                s -> s.listPlugins(ListPluginsRequest.getDefaultInstance())),
        Arguments.of(
            "GetPlugin",
            (Consumer<InspectionGrpc.InspectionBlockingStub>)
                s -> s.getPlugin(GetPluginRequest.newBuilder().setDriver(DRIVER).build())),
        Arguments.of(
            "ListCleanups",
            (Consumer<InspectionGrpc.InspectionBlockingStub>)
                s -> s.listCleanups(ListCleanupsRequest.getDefaultInstance())),
        Arguments.of(
            "ListResourceSlices",
            (Consumer<InspectionGrpc.InspectionBlockingStub>)
                s -> s.listResourceSlices(ListResourceSlicesRequest.getDefaultInstance())),
        Arguments.of(
            "ListDeviceHealth",
            (Consumer<InspectionGrpc.InspectionBlockingStub>)
                s -> s.listDeviceHealth(ListDeviceHealthRequest.getDefaultInstance())),
        Arguments.of(
            "WatchPlugins",
            (Consumer<InspectionGrpc.InspectionBlockingStub>)
                s -> {
                  boolean anEvent =
                      s.withDeadlineAfter(2, TimeUnit.SECONDS)
                          .watchPlugins(WatchPluginsRequest.getDefaultInstance())
                          .hasNext();
                  assertThat(anEvent).as("an event before the deadline").isFalse();
                }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("grpcMethods")
  void grpcWithoutATokenIsUnauthenticated(
      String method, Consumer<InspectionGrpc.InspectionBlockingStub> call) {
    Status status = status(() -> call.accept(agent.inspection(null)));

    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(status.getDescription()).contains("authorization: Bearer <token>");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("grpcMethods")
  void grpcWithABadTokenIsUnauthenticated(
      String method, Consumer<InspectionGrpc.InspectionBlockingStub> call) {
    Status status = status(() -> call.accept(agent.inspection("bad-grpc-token")));

    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(status.getDescription()).doesNotContain("bad-grpc-token");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("grpcMethods")
  void grpcWithoutAccessIsPermissionDenied(
      String method, Consumer<InspectionGrpc.InspectionBlockingStub> call) {
    Status status = status(() -> call.accept(agent.inspection(OUTSIDER)));

    assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(status.getDescription())
        .contains("\"outsider\"", "\"/dranode.agent.v1.Inspection/" + method + "\"");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("grpcMethods")
  void grpcForAReaderWorks(String method, Consumer<InspectionGrpc.InspectionBlockingStub> call) {
    Status status = status(() -> call.accept(agent.inspection(READER)));

    // A watch that was let through stays open until the client's deadline.
    assertThat(status.getCode())
        .isEqualTo(method.equals("WatchPlugins") ? Status.Code.DEADLINE_EXCEEDED : Status.Code.OK);
  }

  /** A watch whose reviews are pending starts once they answer, and delivers events. */
  @Test
  void aWatchStartedWhileItsReviewRunsDeliversEvents() {
    agent.api.token("watch-token", "reader");
    agent.api.delay(Duration.ofMillis(300));
    List<PluginEvent> events = new CopyOnWriteArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    agent
        .inspectionAsync("watch-token")
        .watchPlugins(
            WatchPluginsRequest.getDefaultInstance(),
            new StreamObserver<>() {
              @Override
              public void onNext(PluginEvent event) {
                events.add(event);
              }

              @Override
              public void onError(Throwable t) {
                errors.add(t);
              }

              @Override
              public void onCompleted() {}
            });
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> agent.api.reviews("token", "watch-token") == 1);

    Path root = agent.root;
    String endpoint = root.resolve("plugins/watched/dra.sock").toString();
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              PluginStore store = agent.bean(PluginStore.class);
              store.register(
                  "watched.example.com",
                  endpoint,
                  root.resolve("plugins_registry/watched-reg.sock"),
                  "v1.DRAPlugin",
                  null);
              store.deregister("watched.example.com", endpoint, "test");
              assertThat(events).isNotEmpty();
            });
    assertThat(errors).isEmpty();
  }

  /**
   * The gRPC methods above are every one of dranode.agent.v1.Inspection, and the server offers no
   * other service than it and the two standard ones: a new method or service fails here until it is
   * tested (and in the chart's reader role).
   */
  @Test
  void theTestsCallEveryGrpcMethodTheAgentServes() throws Exception {
    List<String> tested = grpcMethods().map(arguments -> (String) arguments.get()[0]).toList();

    assertThat(InspectionGrpc.getServiceDescriptor().getMethods())
        .extracting(MethodDescriptor::getBareMethodName)
        .containsExactlyInAnyOrderElementsOf(tested);
    assertThat(listServices(READER).get(20, TimeUnit.SECONDS))
        .containsExactlyInAnyOrder(
            InspectionGrpc.SERVICE_NAME,
            HealthGrpc.SERVICE_NAME,
            ServerReflectionGrpc.SERVICE_NAME);
  }

  /** grpcurl lists and describes the API by server reflection: a reader may, nobody else. */
  @Test
  void serverReflectionNeedsAReader() {
    assertThat(listServices(null))
        .failsWithin(Duration.ofSeconds(20))
        .withThrowableThat()
        .havingRootCause()
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    assertThat(listServices(OUTSIDER))
        .failsWithin(Duration.ofSeconds(20))
        .withThrowableThat()
        .havingRootCause()
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
  }

  /** The services the gRPC server lists by reflection, asked with this token (or none). */
  private static CompletableFuture<List<String>> listServices(@Nullable String token) {
    ServerReflectionGrpc.ServerReflectionStub stub =
        ServerReflectionGrpc.newStub(agent.channel()).withDeadlineAfter(20, TimeUnit.SECONDS);
    if (token != null) {
      stub = stub.withCallCredentials(SecuredAgent.bearer(token));
    }
    return GrpcReflection.listServices(stub);
  }

  @Test
  void grpcHealthAnswersWithoutAToken() {
    HealthCheckResponse health =
        HealthGrpc.newBlockingStub(agent.channel())
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance());

    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  private static Status status(Runnable call) {
    try {
      call.run();
      return Status.OK;
    } catch (io.grpc.StatusRuntimeException e) {
      return e.getStatus();
    }
  }
}
