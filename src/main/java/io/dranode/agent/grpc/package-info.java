/**
 * The agent's own inspection API over gRPC ({@code dranode.agent.v1.Inspection}): the same model as
 * the REST API, plus the standard gRPC health status, which follows the application's readiness.
 */
@NullMarked
package io.dranode.agent.grpc;

import org.jspecify.annotations.NullMarked;
