package io.dranode.agent.security;

/**
 * One SubjectAccessReview question, and the key of its cached answer: may this user use this verb
 * on this non-resource path (an HTTP path, or a gRPC method as {@code /<service>/<method>})?
 */
record AccessRequest(User user, String path, String verb) {}
