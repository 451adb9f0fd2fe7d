/**
 * The registration protocol and its decisions: ask a plugin for its info, validate it as untrusted
 * input, record it in the store, tell the plugin the result, and retry transient failures.
 */
@NullMarked
package io.dranode.agent.registration;

import org.jspecify.annotations.NullMarked;
