package io.dranode.example;

import io.dranode.agent.clusterview.DRANode;
import io.dranode.agent.testing.DRANodeMock;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The embedded default's in-memory API: fabric8's CRUD mock, plus what {@code kubectl} needs to
 * talk to it — the discovery documents of the resources the agent uses, JSON answers labelled as
 * such, the {@code involvedObject.*} field selectors with which {@code kubectl describe node} finds
 * a Node's Events, and the table of Events that {@code kubectl get events} prints. It serves
 * DRANode objects from the CRD the build generates (status applies as {@link DRANodeMock} does
 * them) and answers {@code kubectl get dranodes} with the CRD's printer columns.
 */
final class InMemoryApi extends Dispatcher {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Group/version → its resources: name, kind, whether namespaced. */
  private static final Map<String, List<String[]>> RESOURCES = new LinkedHashMap<>();

  static {
    RESOURCES.put(
        "v1",
        List.of(
            new String[] {"nodes", "Node", "false"},
            new String[] {"pods", "Pod", "true"},
            new String[] {"events", "Event", "true"},
            new String[] {"namespaces", "Namespace", "false"}));
    RESOURCES.put(
        "resource.k8s.io/v1",
        List.<String[]>of(new String[] {"resourceslices", "ResourceSlice", "false"}));
    RESOURCES.put(
        DRANode.GROUP + "/" + DRANode.VERSION,
        List.<String[]>of(new String[] {DRANode.PLURAL, DRANode.KIND, "false"}));
  }

  private static final String DRANODES =
      "/apis/" + DRANode.GROUP + "/" + DRANode.VERSION + "/" + DRANode.PLURAL;

  /** The CRD's printer columns: what {@code kubectl get dranodes} shows after the name. */
  private static final List<CustomResourceColumnDefinition> DRANODE_COLUMNS =
      DRANodeMock.chartCrd().getSpec().getVersions().get(0).getAdditionalPrinterColumns();

  private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String path = String.valueOf(request.getPath());
    int query = path.indexOf('?');
    String bare = query < 0 ? path : path.substring(0, query);
    if ("GET".equals(request.getMethod())) {
      String discovery = discovery(bare);
      if (discovery != null) {
        return new MockResponse()
            .setResponseCode(200)
            .setHeader("Content-Type", "application/json")
            .setBody(discovery);
      }
    }
    if (bare.startsWith(DRANODES)) {
      return draNodes(request, bare);
    }
    String selector = query < 0 ? null : parameter(path.substring(query + 1), "fieldSelector");
    boolean byObject =
        bare.endsWith("/events") && selector != null && selector.contains("involvedObject.");
    // The CRUD mock matches nothing on a field it does not index: list them all, filter here.
    MockResponse response =
        crud.dispatch(
            byObject
                ? new RecordedRequest(
                    request.getHttpVersion(),
                    request.method(),
                    bare,
                    request.getHeaders(),
                    request.getBody())
                : request);
    boolean list =
        "GET".equals(request.getMethod()) && response.code() == 200 && !path.contains("watch=");
    if (list && response.header("Content-Type") == null) {
      response.setHeader("Content-Type", "application/json");
    }
    if (list && bare.endsWith("/events")) {
      String body = typed(response.getBody().readUtf8(), "EventList");
      if (byObject && selector != null) {
        body = filter(body, selector);
      }
      String accept = request.getHeader("Accept");
      response.setBody(accept != null && accept.contains("as=Table") ? eventTable(body) : body);
    }
    return response;
  }

  private static @Nullable String discovery(String path) {
    if (path.equals("/api")) {
      return "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[]}";
    }
    if (path.equals("/apis")) {
      ArrayNode groups = JSON.createArrayNode();
      RESOURCES.keySet().stream()
          .filter(gv -> gv.contains("/"))
          .forEach(
              gv -> {
                String group = gv.substring(0, gv.indexOf('/'));
                ObjectNode version =
                    JSON.createObjectNode()
                        .put("groupVersion", gv)
                        .put("version", gv.substring(gv.indexOf('/') + 1));
                ObjectNode entry = JSON.createObjectNode().put("name", group);
                entry.putArray("versions").add(version);
                entry.set("preferredVersion", version);
                groups.add(entry);
              });
      ObjectNode list = JSON.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
      list.set("groups", groups);
      return list.toString();
    }
    String groupVersion =
        path.startsWith("/api/")
            ? path.substring(5)
            : path.startsWith("/apis/") ? path.substring(6) : null;
    List<String[]> resources = groupVersion == null ? null : RESOURCES.get(groupVersion);
    if (resources == null) {
      return null;
    }
    ObjectNode list =
        JSON.createObjectNode()
            .put("kind", "APIResourceList")
            .put("apiVersion", "v1")
            .put("groupVersion", groupVersion);
    ArrayNode items = list.putArray("resources");
    for (String[] r : resources) {
      ObjectNode resource =
          items
              .addObject()
              .put("name", r[0])
              .put("singularName", r[1].toLowerCase(java.util.Locale.ROOT))
              .put("kind", r[1])
              .put("namespaced", Boolean.parseBoolean(r[2]));
      resource
          .putArray("verbs")
          .add("get")
          .add("list")
          .add("watch")
          .add("create")
          .add("delete")
          .add("patch")
          .add("update");
      if (r[1].equals(DRANode.KIND)) {
        resource.putArray("shortNames").add("dran");
        items
            .addObject()
            .put("name", r[0] + "/status")
            .put("singularName", "")
            .put("kind", r[1])
            .put("namespaced", false)
            .putArray("verbs")
            .add("get")
            .add("patch")
            .add("update");
      }
    }
    return list.toString();
  }

  /** A generic "List" as the typed list a client decodes, e.g. an {@code EventList}. */
  private static String typed(String body, String kind) {
    JsonNode list = JSON.readTree(body);
    if (list instanceof ObjectNode object && "List".equals(list.path("kind").asString(""))) {
      object.put("kind", kind);
      return object.toString();
    }
    return body;
  }

  /** Keeps the items whose fields equal every {@code involvedObject.x=y} term of the selector. */
  private static String filter(String body, String selector) {
    JsonNode list = JSON.readTree(body);
    if (!(list.path("items") instanceof ArrayNode items)) {
      return body;
    }
    ArrayNode kept = JSON.createArrayNode();
    for (JsonNode item : items) {
      boolean all = true;
      for (String term : selector.split(",")) {
        int equals = term.indexOf('=');
        if (equals < 0 || !term.startsWith("involvedObject.")) {
          continue;
        }
        String field = term.substring("involvedObject.".length(), equals);
        String wanted = term.substring(equals + 1);
        all &= item.path("involvedObject").path(field).asString("").equals(wanted);
      }
      if (all) {
        kept.add(item);
      }
    }
    ((ObjectNode) list).set("items", kept);
    return list.toString();
  }

  /**
   * DRANode requests: a status apply becomes the replacement it amounts to for one field manager,
   * and a read asked as a Table gets the CRD's printer columns, as the API server answers.
   */
  private MockResponse draNodes(RecordedRequest request, String bare) {
    String body = request.getBody().readUtf8();
    RecordedRequest replay =
        new RecordedRequest(
            request.getHttpVersion(),
            request.method(),
            request.getPath(),
            request.getHeaders(),
            DRANodeMock.buffer(body));
    if ("PATCH".equals(request.getMethod()) && DRANodeMock.isStatusApply(replay)) {
      return DRANodeMock.applyStatus(crud, replay, body);
    }
    MockResponse response = crud.dispatch(replay);
    boolean read = "GET".equals(request.getMethod()) && response.code() == 200;
    String path = String.valueOf(request.getPath());
    if (!read || path.contains("watch=")) {
      return response;
    }
    response.setHeader("Content-Type", "application/json");
    String json = response.getBody().readUtf8();
    String accept = request.getHeader("Accept");
    if (accept != null && accept.contains("as=Table")) {
      JsonNode node = JSON.readTree(json);
      List<JsonNode> items = new ArrayList<>();
      if (bare.equals(DRANODES)) {
        node.path("items").forEach(items::add);
      } else {
        items.add(node);
      }
      return response.setBody(draNodeTable(items));
    }
    return response.setBody(bare.equals(DRANODES) ? typed(json, DRANode.KIND + "List") : json);
  }

  /** The table of DRANodes: Name, then the CRD's printer columns (a date as an age). */
  private static String draNodeTable(List<JsonNode> items) {
    ObjectNode table =
        JSON.createObjectNode().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
    table.putObject("metadata");
    ArrayNode columns = table.putArray("columnDefinitions");
    columns
        .addObject()
        .put("name", "Name")
        .put("type", "string")
        .put("format", "name")
        .put("description", "")
        .put("priority", 0);
    for (CustomResourceColumnDefinition c : DRANODE_COLUMNS) {
      columns
          .addObject()
          .put("name", c.getName())
          .put("type", c.getType())
          .put("format", "")
          .put("description", String.valueOf(c.getDescription()))
          .put("priority", c.getPriority() == null ? 0 : c.getPriority());
    }
    ArrayNode rows = table.putArray("rows");
    java.time.Instant now = java.time.Instant.now();
    for (JsonNode item : items) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      cells.add(item.path("metadata").path("name").asString(""));
      for (CustomResourceColumnDefinition c : DRANODE_COLUMNS) {
        JsonNode value = item;
        for (String step : c.getJsonPath().substring(1).split("\\.")) {
          value = value.path(step);
        }
        if (value.isMissingNode() || value.isNull()) {
          cells.addNull();
        } else if ("date".equals(c.getType())) {
          cells.add(age(value.asString(""), now));
        } else {
          cells.add(value);
        }
      }
      ObjectNode object =
          row.putObject("object")
              .put("kind", "PartialObjectMetadata")
              .put("apiVersion", "meta.k8s.io/v1");
      object.set("metadata", item.path("metadata"));
    }
    return table.toString();
  }

  /** The Events as the table {@code kubectl get events} prints, columns as the API server's. */
  private static String eventTable(String body) {
    JsonNode list = JSON.readTree(body);
    ObjectNode table =
        JSON.createObjectNode().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
    table.putObject("metadata");
    ArrayNode columns = table.putArray("columnDefinitions");
    String[][] definitions = {
      {"Last Seen", "0"},
      {"Type", "0"},
      {"Reason", "0"},
      {"Object", "0"},
      {"Source", "1"},
      {"Message", "0"},
      {"First Seen", "1"},
      {"Count", "1"},
      {"Name", "1"}
    };
    for (String[] d : definitions) {
      columns
          .addObject()
          .put("name", d[0])
          .put("type", d[0].equals("Count") ? "integer" : "string")
          .put("format", "")
          .put("description", "")
          .put("priority", Integer.parseInt(d[1]));
    }
    ArrayNode rows = table.putArray("rows");
    java.time.Instant now = java.time.Instant.now();
    for (JsonNode e : list.path("items")) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      JsonNode involved = e.path("involvedObject");
      cells.add(age(e.path("lastTimestamp").asString(""), now));
      cells.add(e.path("type").asString(""));
      cells.add(e.path("reason").asString(""));
      cells.add(
          involved.path("kind").asString("").toLowerCase(java.util.Locale.ROOT)
              + "/"
              + involved.path("name").asString(""));
      cells.add(
          e.path("source").path("component").asString("")
              + ", "
              + e.path("source").path("host").asString(""));
      cells.add(e.path("message").asString(""));
      cells.add(age(e.path("firstTimestamp").asString(""), now));
      cells.add(e.path("count").asInt(1));
      cells.add(e.path("metadata").path("name").asString(""));
      ObjectNode object =
          row.putObject("object")
              .put("kind", "PartialObjectMetadata")
              .put("apiVersion", "meta.k8s.io/v1");
      object.set("metadata", e.path("metadata"));
    }
    return table.toString();
  }

  /** An age as kubectl shows one: 45s, 3m20s, 25m, 5h. */
  private static String age(String timestamp, java.time.Instant now) {
    if (timestamp.isEmpty()) {
      return "<unknown>";
    }
    long seconds =
        Math.max(
            0, java.time.Duration.between(java.time.Instant.parse(timestamp), now).toSeconds());
    if (seconds < 120) {
      return seconds + "s";
    }
    if (seconds < 600) {
      return seconds / 60 + "m" + (seconds % 60 == 0 ? "" : seconds % 60 + "s");
    }
    return seconds < 3 * 3600 ? seconds / 60 + "m" : seconds / 3600 + "h";
  }

  private static @Nullable String parameter(String query, String name) {
    for (String pair : query.split("&")) {
      int equals = pair.indexOf('=');
      if (equals > 0 && pair.substring(0, equals).equals(name)) {
        return URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
