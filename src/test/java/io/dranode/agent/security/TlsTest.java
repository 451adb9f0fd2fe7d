package io.dranode.agent.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dranode.agent.api.v1.InspectionGrpc;
import io.dranode.agent.api.v1.ListPluginsRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.ssl.pem.PemSslStore;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * TLS in {@code kubernetes} mode: a certificate from files, verified by a client that trusts only
 * it, and replaced on disk while the agent runs; the self-signed certificate without files; plain
 * text refused on every port; bad files refused at start-up with a message.
 */
class TlsTest {

  SecuredAgent agent;

  @BeforeEach
  void prepare() throws Exception {
    agent = new SecuredAgent();
  }

  @AfterEach
  void stop() throws Exception {
    agent.close();
  }

  /** The actuator on the HTTP port, as by default: one port to guard. */
  @Test
  void aCertificateFromFilesIsServedAndItsRotationPickedUpWithoutARestart() throws Exception {
    agent
        .api
        .token("good", "reader")
        .grant("reader", "/api/v1/*", "/actuator/prometheus", "/dranode.agent.v1.Inspection/*");
    Path certificate = agent.root.resolve("tls.crt");
    Path key = agent.root.resolve("tls.key");
    PemSslStore first = TestTls.write(certificate, key, "localhost");
    agent.start(
        "--dra.agent.security.tls.certificate-file=" + certificate,
        "--dra.agent.security.tls.private-key-file=" + key,
        "--dra.agent.security.tls.reload-interval=100ms");

    assertThat(agent.managementPort()).isEqualTo(agent.port());
    assertThat(TestTls.served(agent.port())).isEqualTo(leaf(first));
    assertThat(TestTls.served(agent.grpcPort())).isEqualTo(leaf(first));
    assertThat(verifiedGet(first, "/api/v1/plugins").statusCode()).isEqualTo(200);
    assertThat(verifiedGet(first, "/actuator/health/liveness").statusCode()).isEqualTo(200);
    assertThat(verifiedGet(first, "/actuator/prometheus").statusCode()).isEqualTo(200);
    assertThat(verifiedGet(first, "/actuator/info").statusCode()).isEqualTo(403); // not granted
    assertThat(verifiedGrpc(first)).isEqualTo(Status.Code.OK);

    PemSslStore second = TestTls.write(certificate, key, "localhost");

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(TestTls.served(agent.port())).isEqualTo(leaf(second));
              assertThat(TestTls.served(agent.grpcPort())).isEqualTo(leaf(second));
            });
    assertThat(verifiedGet(second, "/api/v1/plugins").statusCode()).isEqualTo(200);
    assertThat(verifiedGrpc(second)).isEqualTo(Status.Code.OK);
    assertThat(plainHttp(agent.port())).doesNotContain("HTTP/1.1 200").doesNotContain("drivers");
  }

  /** A half-written pair is not taken; the certificate in use stays until a good pair is there. */
  @Test
  void aMismatchedPairOnDiskIsNotTaken() throws Exception {
    Path certificate = agent.root.resolve("tls.crt");
    Path key = agent.root.resolve("tls.key");
    PemSslStore first = TestTls.write(certificate, key, "localhost");
    agent.start(
        "--dra.agent.security.tls.certificate-file=" + certificate,
        "--dra.agent.security.tls.private-key-file=" + key,
        "--dra.agent.security.tls.reload-interval=100ms");
    AgentCertificates certificates = agent.bean(AgentCertificates.class);
    Path other = agent.root.resolve("other");
    Files.createDirectories(other);
    PemSslStore stranger = TestTls.write(other.resolve("tls.crt"), other.resolve("tls.key"), "x");

    TestTls.replace(certificate, Files.readString(other.resolve("tls.crt")));
    certificates.reload(); // what the next tick would do, on this thread

    assertThat(certificates.certificate()).isEqualTo(leaf(first));
    assertThat(TestTls.served(agent.port())).isEqualTo(leaf(first));
    TestTls.replace(key, Files.readString(other.resolve("tls.key")));
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(TestTls.served(agent.port())).isEqualTo(leaf(stranger)));
  }

  @Test
  void withoutFilesASelfSignedCertificateForTheNodeAndPod() throws Exception {
    agent.start("--dra.agent.security.tls.pod-ip=10.1.2.3");

    X509Certificate served = TestTls.served(agent.port());

    assertThat(served.getSubjectX500Principal().getName()).isEqualTo("CN=" + ReviewApiServer.NODE);
    assertThat(served.getIssuerX500Principal()).isEqualTo(served.getSubjectX500Principal());
    assertThat(
            Objects.requireNonNull(served.getSubjectAlternativeNames()).stream()
                .map(name -> String.valueOf(name.get(1)))
                .toList())
        .contains(ReviewApiServer.NODE, "localhost", "10.1.2.3", "127.0.0.1");
    assertThat(served.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
    assertThat(TestTls.served(agent.managementPort())).isEqualTo(served);
    assertThat(TestTls.served(agent.grpcPort())).isEqualTo(served);
  }

  /** With the optional separate actuator port (management.server.port): TLS there too. */
  @Test
  void plainTextIsRefusedOnEveryPort() throws Exception {
    agent.start("--management.server.port=0");

    assertThat(agent.managementPort()).isNotEqualTo(agent.port());
    for (int port : List.of(agent.port(), agent.managementPort())) {
      assertThat(plainHttp(port))
          .as("port %d", port)
          .doesNotContain("HTTP/1.1 200")
          .doesNotContain("UP");
    }
    ManagedChannel plain =
        Grpc.newChannelBuilderForAddress(
                "localhost", agent.grpcPort(), InsecureChannelCredentials.create())
            .build();
    try {
      Status.Code code =
          SecuredAgent.code(
              () ->
                  InspectionGrpc.newBlockingStub(plain)
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .listPlugins(ListPluginsRequest.getDefaultInstance()));
      assertThat(code).isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      plain.shutdownNow();
    }
  }

  @Test
  @ExtendWith(OutputCaptureExtension.class)
  void aKeyThatIsNotTheCertificatesStopsStartUp(CapturedOutput output) throws Exception {
    Path certificate = agent.root.resolve("tls.crt");
    Path key = agent.root.resolve("tls.key");
    TestTls.write(certificate, key, "localhost");
    TestTls.write(agent.root.resolve("other.crt"), key, "localhost"); // a new key, the old cert

    assertThatThrownBy(
            () ->
                agent.start(
                    "--dra.agent.security.tls.certificate-file=" + certificate,
                    "--dra.agent.security.tls.private-key-file=" + key))
        .hasStackTraceContaining(key + " is not the key of the certificate in " + certificate);
    assertThat(output.getOut() + output.getErr())
        .contains("APPLICATION FAILED TO START")
        .contains("The TLS certificate of dra.agent.security.mode=kubernetes cannot be used")
        .contains("Point dra.agent.security.tls.certificate-file");
  }

  @Test
  void aMissingFileStopsStartUp() throws Exception {
    Path missing = agent.root.resolve("nothing-here.crt");

    assertThatThrownBy(
            () ->
                agent.start(
                    "--dra.agent.security.tls.certificate-file=" + missing,
                    "--dra.agent.security.tls.private-key-file=" + missing))
        .hasStackTraceContaining("cannot read the TLS files")
        .hasStackTraceContaining(missing.toString());
  }

  private HttpResponse<String> verifiedGet(PemSslStore trusted, String path) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(trusting(leaf(trusted))).build();
    return client.send(
        HttpRequest.newBuilder(URI.create("https://localhost:" + agent.port() + path))
            .header("Authorization", "Bearer good")
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private Status.Code verifiedGrpc(PemSslStore trusted) throws Exception {
    ManagedChannel channel =
        Grpc.newChannelBuilderForAddress(
                "localhost",
                agent.grpcPort(),
                TlsChannelCredentials.newBuilder()
                    .trustManager(trustManagers(leaf(trusted)).getTrustManagers())
                    .build())
            .build();
    try {
      return SecuredAgent.code(
          () ->
              InspectionGrpc.newBlockingStub(channel)
                  .withCallCredentials(SecuredAgent.bearer("good"))
                  .withDeadlineAfter(20, TimeUnit.SECONDS)
                  .listPlugins(ListPluginsRequest.getDefaultInstance()));
    } finally {
      channel.shutdownNow();
    }
  }

  /** What a plain-text HTTP request to the port gets back, up to the end of the stream. */
  static String plainHttp(int port) throws IOException {
    try (Socket socket = new Socket("localhost", port)) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              "GET /actuator/health/liveness HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      try {
        in.transferTo(received);
      } catch (IOException e) {
        // a reset is a refusal too
      }
      return received.toString(StandardCharsets.ISO_8859_1);
    }
  }

  static X509Certificate leaf(PemSslStore store) {
    return Objects.requireNonNull(store.certificates()).get(0);
  }

  static SSLContext trusting(X509Certificate certificate) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trustManagers(certificate).getTrustManagers(), null);
    return context;
  }

  static TrustManagerFactory trustManagers(X509Certificate certificate) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    store.setCertificateEntry("agent", certificate);
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return factory;
  }
}
