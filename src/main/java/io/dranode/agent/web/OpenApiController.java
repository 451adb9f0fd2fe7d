package io.dranode.agent.web;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The OpenAPI document of the REST API, {@code GET /v3/api-docs} (and {@code /v3/api-docs.yaml}).
 * It is a file generated from the controllers at build time ({@code OpenApiDocumentTest} fails when
 * it no longer matches them, and says how to regenerate it), so no document generator runs in the
 * agent. As a generated document would, it names the server it was fetched from.
 */
@RestController
class OpenApiController {

  /** The document on the class path, without {@code servers}. */
  static final String DOCUMENT = "openapi/api-docs.json";

  static final String PATH = "/v3/api-docs";

  /** The OpenAPI media type of the YAML form. */
  static final String YAML = "application/vnd.oai.openapi";

  private final JsonMapper mapper;
  private volatile @Nullable ObjectNode document;

  OpenApiController(JsonMapper mapper) {
    this.mapper = mapper;
  }

  @GetMapping(path = PATH, produces = MediaType.APPLICATION_JSON_VALUE)
  ObjectNode json(HttpServletRequest request) {
    return served(request);
  }

  @GetMapping(path = PATH + ".yaml", produces = YAML)
  ResponseEntity<byte[]> yaml(HttpServletRequest request) {
    String text = YAMLMapper.builder().build().writeValueAsString(served(request));
    return ResponseEntity.ok()
        .contentType(MediaType.parseMediaType(YAML))
        .body(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The stored document with a {@code servers} entry for this request, after {@code info}. */
  private ObjectNode served(HttpServletRequest request) {
    ObjectNode served = mapper.createObjectNode();
    for (Map.Entry<String, JsonNode> member : stored().properties()) {
      served.set(member.getKey(), member.getValue());
      if (member.getKey().equals("info")) {
        served
            .putArray("servers")
            .addObject()
            .put("url", ServletUriComponentsBuilder.fromContextPath(request).toUriString())
            .put("description", "Generated server url");
      }
    }
    return served;
  }

  /** Read when first asked for: an agent serves its document rarely. */
  private ObjectNode stored() {
    ObjectNode loaded = document;
    if (loaded == null) {
      try (InputStream in = new ClassPathResource(DOCUMENT).getInputStream()) {
        loaded = (ObjectNode) mapper.readTree(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + DOCUMENT, e);
      }
      document = loaded;
    }
    return loaded;
  }
}
