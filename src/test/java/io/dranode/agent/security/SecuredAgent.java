package io.dranode.agent.security;

import io.dranode.agent.DraNodeAgentApplication;
import io.dranode.agent.api.v1.InspectionGrpc;
import io.grpc.CallCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;

/**
 * The whole agent in {@code kubernetes} mode in this JVM, its Kubernetes client pointed at a {@link
 * ReviewApiServer} the standard way, with HTTPS and gRPC-over-TLS clients that accept its
 * certificate and send a bearer token of the test's choosing. System properties are restored on
 * {@link #close()}.
 */
public final class SecuredAgent implements AutoCloseable {

  public final ReviewApiServer api;
  final Path root;
  private final Properties savedSystemProperties = new Properties();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private @Nullable ConfigurableApplicationContext context;
  private @Nullable HttpClient http;

  public SecuredAgent() throws IOException {
    this(new ReviewApiServer(), null);
  }

  /** With the Kubernetes client pointed at this URL instead (e.g. a closed port). */
  SecuredAgent(ReviewApiServer api, @Nullable String apiServerUrl) throws IOException {
    this.api = api;
    savedSystemProperties.putAll(System.getProperties());
    System.setProperty("kubernetes.master", apiServerUrl == null ? api.url() : apiServerUrl);
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.namespace", "default");
    // Plain HTTP to the mock: no h2c upgrade (it costs seconds per call with the JDK client).
    System.setProperty("http2.disable", "true");
    root = Files.createTempDirectory(Path.of("/tmp"), "sa");
  }

  /** Starts the agent in kubernetes mode; arguments win over the defaults here, as in a pod. */
  public SecuredAgent start(String... extraArgs) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--dra.agent.security.mode=kubernetes",
                "--dra.agent.node-name=" + ReviewApiServer.NODE,
                "--dra.agent.kubelet-root-dir=" + root,
                "--dra.agent.kubernetes.field-selectors=client",
                "--spring.grpc.server.port=0",
                "--server.port=0",
                "--logging.level.io.fabric8.mockwebserver=WARN"));
    for (String extra : extraArgs) {
      String key = extra.substring(0, extra.indexOf('=') + 1);
      args.removeIf(arg -> arg.startsWith(key)); // given twice, Spring would join the values
      args.add(extra);
    }
    context =
        new SpringApplicationBuilder(DraNodeAgentApplication.class)
            .web(WebApplicationType.SERVLET)
            .run(args.toArray(String[]::new));
    return this;
  }

  ConfigurableApplicationContext context() {
    ConfigurableApplicationContext current = context;
    if (current == null) {
      throw new IllegalStateException("not started");
    }
    return current;
  }

  <T> T bean(Class<T> type) {
    return context().getBean(type);
  }

  int port() {
    return port("local.server.port");
  }

  /** The actuator's port: the HTTP port unless a test sets {@code management.server.port}. */
  public int managementPort() {
    String management = context().getEnvironment().getProperty("local.management.port");
    return management == null ? port() : Integer.parseInt(management);
  }

  int grpcPort() {
    return bean(GrpcServerLifecycle.class).getPort();
  }

  private int port(String property) {
    return Integer.parseInt(context().getEnvironment().getRequiredProperty(property));
  }

  /** GET over HTTPS on the HTTP port, with {@code Authorization: Bearer <token>} unless null. */
  HttpResponse<String> get(String path, @Nullable String token) throws Exception {
    return get(port(), path, token);
  }

  HttpResponse<String> getManagement(String path, @Nullable String token) throws Exception {
    return get(managementPort(), path, token);
  }

  HttpResponse<String> get(int port, String path, @Nullable String token) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("https://localhost:" + port + path))
            .timeout(Duration.ofSeconds(60));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Sends the request with a raw Authorization header value (or none). */
  HttpResponse<String> getWithHeader(String path, String authorization) throws Exception {
    return http()
        .send(
            HttpRequest.newBuilder(URI.create("https://localhost:" + port() + path))
                .header("Authorization", authorization)
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  HttpClient http() {
    HttpClient client = http;
    if (client == null) {
      client =
          HttpClient.newBuilder()
              .sslContext(TestTls.trustingAnything())
              .connectTimeout(Duration.ofSeconds(30)) // a TLS handshake on a loaded machine
              .build();
      http = client;
    }
    return client;
  }

  /** A gRPC stub over TLS (any certificate accepted) with the bearer token, or none if null. */
  InspectionGrpc.InspectionBlockingStub inspection(@Nullable String token) {
    InspectionGrpc.InspectionBlockingStub stub =
        InspectionGrpc.newBlockingStub(channel()).withDeadlineAfter(20, TimeUnit.SECONDS);
    return token == null ? stub : stub.withCallCredentials(bearer(token));
  }

  InspectionGrpc.InspectionStub inspectionAsync(@Nullable String token) {
    InspectionGrpc.InspectionStub stub = InspectionGrpc.newStub(channel());
    return token == null ? stub : stub.withCallCredentials(bearer(token));
  }

  ManagedChannel channel() {
    ManagedChannel channel =
        Grpc.newChannelBuilderForAddress(
                "localhost",
                grpcPort(),
                TlsChannelCredentials.newBuilder().trustManager(TestTls.ANYTHING).build())
            .build();
    channels.add(channel);
    return channel;
  }

  static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(BearerTokenInterceptor.AUTHORIZATION, "Bearer " + token);
        applier.apply(headers);
      }
    };
  }

  /** The status code of a failed call, or OK. */
  static Status.Code code(Runnable call) {
    try {
      call.run();
      return Status.Code.OK;
    } catch (io.grpc.StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Override
  public void close() throws IOException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    if (context != null) {
      context.close();
    }
    api.close();
    System.setProperties(savedSystemProperties);
    try (Stream<Path> tree = Files.walk(root)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
