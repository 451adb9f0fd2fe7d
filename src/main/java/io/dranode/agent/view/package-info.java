/**
 * The read model every API shows: built once from the store, the cleanup, the slice informer and
 * device health, then written as JSON by the REST API and mapped to messages by the gRPC API, so
 * that the two can never say different things.
 */
@NullMarked
package io.dranode.agent.view;

import org.jspecify.annotations.NullMarked;
