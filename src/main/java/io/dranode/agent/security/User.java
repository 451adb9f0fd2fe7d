package io.dranode.agent.security;

import java.util.List;
import java.util.Map;

/**
 * Who a token belongs to, as the API server's TokenReview said; sent back unchanged in the
 * SubjectAccessReview, the way the kube-apiserver's webhook authorizer does.
 *
 * @param name the user name, e.g. {@code system:serviceaccount:monitoring:prometheus}
 * @param uid the user's uid; empty when the API server gave none
 * @param groups the user's groups
 * @param extra further attributes (for a ServiceAccount token: its pod and node)
 */
record User(String name, String uid, List<String> groups, Map<String, List<String>> extra) {
  User {
    groups = List.copyOf(groups);
    extra = Map.copyOf(extra);
  }
}
