package io.dranode.agent.testing;

import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import java.util.Objects;

/**
 * One implementation for two versions of an API whose messages are the same on the wire (DRA {@code
 * v1} and {@code v1beta1}, device health {@code v1} and {@code v1alpha1}): the service is served
 * again under the other version's name, and a client of that version cannot tell.
 */
public final class SameWire {

  private SameWire() {}

  /** The methods of {@code service}, under {@code serviceName}. */
  public static ServerServiceDefinition servedAs(String serviceName, BindableService service) {
    ServerServiceDefinition.Builder renamed = ServerServiceDefinition.builder(serviceName);
    for (ServerMethodDefinition<?, ?> method : service.bindService().getMethods()) {
      renamed.addMethod(renamed(serviceName, method));
    }
    return renamed.build();
  }

  private static <Q, R> ServerMethodDefinition<Q, R> renamed(
      String serviceName, ServerMethodDefinition<Q, R> method) {
    MethodDescriptor<Q, R> typed = method.getMethodDescriptor();
    String bareName = Objects.requireNonNull(typed.getBareMethodName(), typed.getFullMethodName());
    MethodDescriptor<Q, R> descriptor =
        typed.toBuilder()
            .setFullMethodName(MethodDescriptor.generateFullMethodName(serviceName, bareName))
            .setSchemaDescriptor(null)
            .build();
    return ServerMethodDefinition.create(descriptor, method.getServerCallHandler());
  }
}
