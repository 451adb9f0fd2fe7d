package io.dranode.agent.testing;

import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Asks a gRPC server, by reflection, which services it lists. */
public final class GrpcReflection {

  private GrpcReflection() {}

  /** The service names, or the call's error; the caller bounds the wait. */
  public static CompletableFuture<List<String>> listServices(
      ServerReflectionGrpc.ServerReflectionStub stub) {
    CompletableFuture<List<String>> services = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        stub.serverReflectionInfo(
            new StreamObserver<>() {
              @Override
              public void onNext(ServerReflectionResponse response) {
                services.complete(
                    response.getListServicesResponse().getServiceList().stream()
                        .map(ServiceResponse::getName)
                        .toList());
              }

              @Override
              public void onError(Throwable t) {
                services.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();
    return services;
  }
}
