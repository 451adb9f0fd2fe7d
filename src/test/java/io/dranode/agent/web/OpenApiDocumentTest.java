package io.dranode.agent.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.io.ClassPathResource;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The agent serves a static OpenAPI document ({@link OpenApiController}); here springdoc (test
 * scope only) generates it from the controllers, beside it, and the two must be the same document.
 * When a controller or a view changes, regenerate the file with
 *
 * <pre>./mvnw -o test -Dtest=OpenApiDocumentTest -Dopenapi.write=true</pre>
 *
 * and commit {@code src/main/resources/openapi/api-docs.json}.
 */
@EnabledOnOs(OS.LINUX)
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "dra.agent.node-name=worker",
      "spring.grpc.server.port=0",
      "dra.agent.wipe.delay=1h",
      "springdoc.api-docs.enabled=true",
      "springdoc.api-docs.path=" + OpenApiDocumentTest.GENERATED,
      // the document itself is not part of the API it describes
      "springdoc.paths-to-exclude=/v3/**"
    })
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class OpenApiDocumentTest {

  static final String GENERATED = "/generated/api-docs";
  static final Path SOURCE = Path.of("src", "main", "resources", OpenApiController.DOCUMENT);
  static final String REGENERATE =
      "the served OpenAPI document differs from what the code produces; regenerate it with"
          + " ./mvnw -o test -Dtest=OpenApiDocumentTest -Dopenapi.write=true";
  static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir(cleanup = CleanupMode.ALWAYS)
  static Path root;

  static {
    // No API server: the client points where nothing listens, and at no kubeconfig.
    System.setProperty("kubernetes.master", "https://127.0.0.1:1");
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
  }

  @DynamicPropertySource
  static void kubeletRoot(DynamicPropertyRegistry registry) {
    registry.add("dra.agent.kubelet-root-dir", () -> root.toString());
  }

  @LocalServerPort int port;

  @Test
  void theStoredDocumentIsWhatTheCodeProduces() throws Exception {
    ObjectNode generated = (ObjectNode) JSON.readTree(get(GENERATED).body());
    generated.remove("servers"); // the request's address: added when served
    if (Boolean.getBoolean("openapi.write")) {
      Files.writeString(
          SOURCE,
          JSON.writerWithDefaultPrettyPrinter().writeValueAsString(generated) + "\n",
          StandardCharsets.UTF_8);
    }

    assertThat(JSON.readTree(Files.readString(SOURCE, StandardCharsets.UTF_8)))
        .as(REGENERATE)
        .isEqualTo(generated);
    assertThat(stored()).as(REGENERATE + " (then build again)").isEqualTo(generated);
    assertThat(generated.path("paths").propertyNames())
        .contains("/api/v1/plugins", "/api/v1/plugins/{driver}", "/api/v1/events");
    assertThat(generated.path("components").path("schemas").propertyNames())
        .contains("Plugins", "Driver");
  }

  @Test
  void theServedDocumentIsTheStoredOneWithItsServer() throws Exception {
    HttpResponse<String> response = get(OpenApiController.PATH);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    JsonNode served = JSON.readTree(response.body());
    assertThat(served.path("servers").toString())
        .isEqualTo(
            "[{\"url\":\"http://127.0.0.1:"
                + port
                + "\",\"description\":\"Generated server url\"}]");
    assertThat(names(served)).containsExactly("openapi", "info", "servers", "paths", "components");
    ObjectNode withoutServer = (ObjectNode) served.deepCopy();
    withoutServer.remove("servers");
    assertThat(withoutServer).isEqualTo(stored());
  }

  @Test
  void theYamlFormIsTheSameDocument() throws Exception {
    HttpResponse<String> response = get(OpenApiController.PATH + ".yaml");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith(OpenApiController.YAML));
    assertThat(YAMLMapper.builder().build().readTree(response.body()))
        .isEqualTo(JSON.readTree(get(OpenApiController.PATH).body()));
  }

  private static JsonNode stored() throws Exception {
    try (var in = new ClassPathResource(OpenApiController.DOCUMENT).getInputStream()) {
      return JSON.readTree(in);
    }
  }

  private static List<String> names(JsonNode node) {
    return new ArrayList<>(node.propertyNames());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
