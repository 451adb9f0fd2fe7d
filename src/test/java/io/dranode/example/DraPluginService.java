package io.dranode.example;

import io.dranode.agent.proto.dra.v1.Claim;
import io.dranode.agent.proto.dra.v1.DRAPluginGrpc;
import io.dranode.agent.proto.dra.v1.Device;
import io.dranode.agent.proto.dra.v1.NodePrepareResourceResponse;
import io.dranode.agent.proto.dra.v1.NodePrepareResourcesRequest;
import io.dranode.agent.proto.dra.v1.NodePrepareResourcesResponse;
import io.dranode.agent.proto.dra.v1.NodeUnprepareResourceResponse;
import io.dranode.agent.proto.dra.v1.NodeUnprepareResourcesRequest;
import io.dranode.agent.proto.dra.v1.NodeUnprepareResourcesResponse;
import io.grpc.stub.StreamObserver;

/**
 * {@code k8s.io.kubelet.pkg.apis.dra.v1.DRAPlugin} over the shared {@link ClaimPreparation}; also
 * served as {@code v1beta1}, whose messages are the same on the wire as long as the device's {@code
 * share_id} (v1 only) stays unset, as it does here.
 */
final class DraPluginService extends DRAPluginGrpc.DRAPluginImplBase {

  private final ClaimPreparation claims;
  private final String poolName;

  DraPluginService(ClaimPreparation claims, String poolName) {
    this.claims = claims;
    this.poolName = poolName;
  }

  @Override
  public void nodePrepareResources(
      NodePrepareResourcesRequest request, StreamObserver<NodePrepareResourcesResponse> response) {
    claims.countPrepareCall();
    NodePrepareResourcesResponse.Builder answer = NodePrepareResourcesResponse.newBuilder();
    for (Claim claim : request.getClaimsList()) {
      String device = claims.prepare(claim.getUid());
      answer.putClaims(
          claim.getUid(),
          NodePrepareResourceResponse.newBuilder()
              .addDevices(
                  Device.newBuilder()
                      .setPoolName(poolName)
                      .setDeviceName(device)
                      .addCdiDeviceIds(claims.cdiDeviceId(device)))
              .build());
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void nodeUnprepareResources(
      NodeUnprepareResourcesRequest request,
      StreamObserver<NodeUnprepareResourcesResponse> response) {
    claims.countUnprepareCall();
    NodeUnprepareResourcesResponse.Builder answer = NodeUnprepareResourcesResponse.newBuilder();
    for (Claim claim : request.getClaimsList()) {
      claims.unprepare(claim.getUid());
      answer.putClaims(claim.getUid(), NodeUnprepareResourceResponse.getDefaultInstance());
    }
    response.onNext(answer.build());
    response.onCompleted();
  }
}
