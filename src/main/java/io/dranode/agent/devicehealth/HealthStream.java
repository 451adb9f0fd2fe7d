package io.dranode.agent.devicehealth;

import io.dranode.agent.plugin.Services;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Clock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One {@code NodeWatchResources} call on an instance's channel, v1 or v1alpha1. Callbacks run on
 * the channel's executor; the listener decides whether they still matter.
 */
final class HealthStream {

  /** What the stream reports. */
  interface Listener {
    /** A complete device list arrived. */
    void devices(DeviceReports.Batch batch);

    /** The call ended: an error, or a normal end of stream ({@link Status#OK}). */
    void closed(Status status);
  }

  private final Observer<?, ?> observer;

  private HealthStream(Observer<?, ?> observer) {
    this.observer = observer;
  }

  static boolean supported(@Nullable String service) {
    return service != null && Services.HEALTH.contains(service);
  }

  /** Starts the call; it never throws for a failure of the peer, the listener hears of it. */
  static HealthStream open(Channel channel, String service, Clock clock, Listener listener) {
    if (Services.HEALTH_V1.equals(service)) {
      Observer<
              io.dranode.agent.proto.drahealth.v1.NodeWatchResourcesRequest,
              io.dranode.agent.proto.drahealth.v1.NodeWatchResourcesResponse>
          observer = new Observer<>(r -> DeviceReports.of(r, clock.instant()), listener);
      io.dranode.agent.proto.drahealth.v1.DRAResourceHealthGrpc.newStub(channel)
          .nodeWatchResources(
              io.dranode.agent.proto.drahealth.v1.NodeWatchResourcesRequest.getDefaultInstance(),
              observer);
      return new HealthStream(observer);
    }
    if (Services.HEALTH_V1ALPHA1.equals(service)) {
      Observer<
              io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesRequest,
              io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesResponse>
          observer = new Observer<>(r -> DeviceReports.of(r, clock.instant()), listener);
      io.dranode.agent.proto.drahealth.v1alpha1.DRAResourceHealthGrpc.newStub(channel)
          .nodeWatchResources(
              io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesRequest
                  .getDefaultInstance(),
              observer);
      return new HealthStream(observer);
    }
    throw new IllegalArgumentException("unsupported health service " + service);
  }

  /** Cancels the call; the listener then hears {@code CANCELLED}, which it ignores. */
  void cancel(String why) {
    observer.cancel(why);
  }

  private static final class Observer<ReqT, RespT> implements ClientResponseObserver<ReqT, RespT> {
    private final Function<RespT, DeviceReports.Batch> convert;
    private final Listener listener;
    private volatile @Nullable ClientCallStreamObserver<ReqT> call;

    Observer(Function<RespT, DeviceReports.Batch> convert, Listener listener) {
      this.convert = convert;
      this.listener = listener;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ReqT> requestStream) {
      this.call = requestStream;
    }

    @Override
    public void onNext(RespT response) {
      listener.devices(convert.apply(response));
    }

    @Override
    public void onError(Throwable t) {
      listener.closed(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      listener.closed(Status.OK);
    }

    void cancel(String why) {
      ClientCallStreamObserver<ReqT> current = call;
      if (current != null) {
        current.cancel(why, null);
      }
    }
  }
}
