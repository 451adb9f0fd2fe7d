package io.dranode.example;

import io.dranode.agent.proto.drahealth.v1alpha1.DRAResourceHealthGrpc;
import io.dranode.agent.proto.drahealth.v1alpha1.DeviceHealth;
import io.dranode.agent.proto.drahealth.v1alpha1.DeviceIdentifier;
import io.dranode.agent.proto.drahealth.v1alpha1.HealthStatus;
import io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesRequest;
import io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;

/**
 * {@code v1alpha1.DRAResourceHealth}: one stream per watcher, fed by the {@link DeviceHealthBoard}.
 */
final class ResourceHealthV1alpha1Service extends DRAResourceHealthGrpc.DRAResourceHealthImplBase {

  private final DeviceHealthBoard board;

  ResourceHealthV1alpha1Service(DeviceHealthBoard board) {
    this.board = board;
  }

  @Override
  public void nodeWatchResources(
      NodeWatchResourcesRequest request, StreamObserver<NodeWatchResourcesResponse> response) {
    ServerCallStreamObserver<NodeWatchResourcesResponse> call =
        (ServerCallStreamObserver<NodeWatchResourcesResponse>) response;
    HealthStream<NodeWatchResourcesResponse> stream =
        new HealthStream<>(call, devices -> encode(board.poolName(), devices));
    call.setOnCancelHandler(() -> board.unsubscribe(stream));
    board.subscribe(stream);
  }

  private static NodeWatchResourcesResponse encode(String pool, List<DeviceHealthState> devices) {
    NodeWatchResourcesResponse.Builder message = NodeWatchResourcesResponse.newBuilder();
    for (DeviceHealthState device : devices) {
      message.addDevices(
          DeviceHealth.newBuilder()
              .setDevice(
                  DeviceIdentifier.newBuilder().setPoolName(pool).setDeviceName(device.device()))
              .setHealth(device.healthy() ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY)
              .setLastUpdatedTime(device.lastUpdatedSeconds())
              .setHealthCheckTimeoutSeconds(DeviceHealthBoard.HEALTH_CHECK_TIMEOUT_SECONDS)
              .setMessage(device.message()));
    }
    return message.build();
  }
}
