package io.dranode.bench;

import java.time.Instant;

/**
 * One request as the in-memory API server received it.
 *
 * @param method HTTP method
 * @param path the path without the query
 * @param query the query string, empty when none
 * @param fromAgent false for the harness's own client (told apart by its User-Agent)
 * @param nanos {@link System#nanoTime()} on arrival, in the harness JVM
 * @param at wall-clock time on arrival, comparable with the agent's instants (same machine clock)
 */
record ApiRequest(
    String method, String path, String query, boolean fromAgent, long nanos, Instant at) {

  /** LIST, WATCH, GET, DELETE, DELETECOLLECTION, POST, PUT or PATCH. */
  String kind() {
    boolean collection = collection();
    return switch (method) {
      case "GET" -> query.contains("watch=true") ? "WATCH" : collection ? "LIST" : "GET";
      case "DELETE" -> collection ? "DELETECOLLECTION" : "DELETE";
      default -> method;
    };
  }

  /** The object name of an object path, else empty. */
  String name() {
    return collection() ? "" : path.substring(path.lastIndexOf('/') + 1);
  }

  boolean isResourceSlices() {
    return path.startsWith("/apis/resource.k8s.io/") && path.contains("/resourceslices");
  }

  /** {@code /api/v1/<res>[/name]} or {@code /apis/<group>/<version>/<res>[/name]}. */
  private boolean collection() {
    String[] parts = path.replaceAll("^/+|/+$", "").split("/", -1);
    int rest = parts.length - (parts.length > 0 && parts[0].equals("api") ? 2 : 3);
    if (rest >= 3 && parts[parts.length - rest].equals("namespaces")) {
      rest -= 2;
    }
    return rest <= 1;
  }
}
