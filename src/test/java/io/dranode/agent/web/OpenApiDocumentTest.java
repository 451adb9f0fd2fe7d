package io.dranode.agent.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The whole agent serves its OpenAPI document, and springdoc's beans that build it are only created
 * when it is first asked for ({@link OpenApiConfig}).
 */
@EnabledOnOs(OS.LINUX)
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "dra.agent.node-name=worker",
      "management.server.port=0",
      "spring.grpc.server.port=0",
      "dra.agent.wipe.delay=1h"
    })
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class OpenApiDocumentTest {

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

  @Autowired ConfigurableApplicationContext context;
  @LocalServerPort int port;

  @Test
  void theDocumentIsServedAndBuiltOnlyWhenAsked() throws Exception {
    assertThat(springdocSingletons()).as("document builders created at start-up").isEmpty();

    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v3/api-docs"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    assertThat(response.body())
        .contains("\"openapi\"")
        .contains("\"/api/v1/plugins\"")
        .contains("\"/api/v1/plugins/{driver}\"")
        .contains("\"Plugins\"")
        .contains("\"Driver\"");
    assertThat(springdocSingletons()).as("document builders after the first request").hasSize(2);
  }

  /** Which of the beans that build the document (resource and service) exist as instances. */
  private List<String> springdocSingletons() {
    var beanFactory = context.getBeanFactory();
    return java.util.stream.Stream.of(
            org.springdoc.webmvc.api.OpenApiWebMvcResource.class,
            org.springdoc.core.service.OpenAPIService.class)
        .flatMap(type -> Arrays.stream(beanFactory.getBeanNamesForType(type, true, false)))
        .filter(beanFactory::containsSingleton)
        .toList();
  }
}
