/**
 * Who may call the agent: in {@code dra.agent.security.mode=kubernetes}, every HTTP request and
 * gRPC call but the probes needs a Kubernetes bearer token, checked and authorized by the API
 * server (TokenReview, SubjectAccessReview), over TLS; in {@code none}, nobody is asked.
 */
@NullMarked
package io.dranode.agent.security;

import org.jspecify.annotations.NullMarked;
