package io.dranode.agent.clusterview;

import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks a document against the parts of an OpenAPI schema the DRANode CRD uses (types, required
 * properties, unknown properties, enums, maxLength in code points, maxItems, minimum), the way the
 * API server validates a write: the list of what it finds wrong is empty for a valid document.
 */
final class SchemaCheck {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private SchemaCheck() {}

  static List<String> problems(JSONSchemaProps schema, String json) {
    List<String> problems = new ArrayList<>();
    check(schema, JSON.readTree(json), "status", problems);
    return problems;
  }

  private static void check(JSONSchemaProps schema, JsonNode node, String at, List<String> out) {
    String type = schema.getType();
    switch (type == null ? "" : type) {
      case "object" -> {
        if (!node.isObject()) {
          out.add(at + " is not an object");
          return;
        }
        Map<String, JSONSchemaProps> properties = schema.getProperties();
        for (String required : schema.getRequired()) {
          if (!node.has(required)) {
            out.add(at + "." + required + " is required");
          }
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
          JSONSchemaProps property = properties.get(field.getKey());
          if (property == null) {
            out.add(at + "." + field.getKey() + " is not in the schema (it would be pruned)");
          } else {
            check(property, field.getValue(), at + "." + field.getKey(), out);
          }
        }
      }
      case "array" -> {
        if (!node.isArray()) {
          out.add(at + " is not an array");
          return;
        }
        if (schema.getMaxItems() != null && node.size() > schema.getMaxItems()) {
          out.add(at + " has " + node.size() + " items, more than " + schema.getMaxItems());
        }
        for (int i = 0; i < node.size(); i++) {
          check(schema.getItems().getSchema(), node.get(i), at + "[" + i + "]", out);
        }
      }
      case "string" -> {
        if (!node.isString()) {
          out.add(at + " is not a string");
          return;
        }
        String value = node.asString();
        long length = value.codePointCount(0, value.length());
        if (schema.getMaxLength() != null && length > schema.getMaxLength()) {
          out.add(at + " has " + length + " characters, more than " + schema.getMaxLength());
        }
        if (!schema.getEnum().isEmpty()
            && schema.getEnum().stream().noneMatch(e -> e.asString().equals(value))) {
          out.add(at + " = " + value + " is none of " + schema.getEnum());
        }
      }
      case "integer" -> {
        if (!node.isIntegralNumber()) {
          out.add(at + " is not an integer");
        } else if (schema.getMinimum() != null && node.asDouble() < schema.getMinimum()) {
          out.add(at + " = " + node.asLong() + " is below " + schema.getMinimum());
        }
      }
      case "boolean" -> {
        if (!node.isBoolean()) {
          out.add(at + " is not a boolean");
        }
      }
      default -> out.add(at + ": no check for schema type " + type);
    }
  }
}
