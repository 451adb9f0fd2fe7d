package io.dranode.agent.grpc;

import io.dranode.agent.api.v1.Driver;
import io.dranode.agent.api.v1.GetPluginRequest;
import io.dranode.agent.api.v1.InspectionGrpc;
import io.dranode.agent.api.v1.ListCleanupsRequest;
import io.dranode.agent.api.v1.ListCleanupsResponse;
import io.dranode.agent.api.v1.ListDeviceHealthRequest;
import io.dranode.agent.api.v1.ListDeviceHealthResponse;
import io.dranode.agent.api.v1.ListPluginsRequest;
import io.dranode.agent.api.v1.ListPluginsResponse;
import io.dranode.agent.api.v1.ListResourceSlicesRequest;
import io.dranode.agent.api.v1.ListResourceSlicesResponse;
import io.dranode.agent.api.v1.PluginEvent;
import io.dranode.agent.api.v1.WatchPluginsRequest;
import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventFeed;
import io.dranode.agent.event.EventSink;
import io.dranode.agent.event.EventStreams;
import io.dranode.agent.input.KubernetesNames;
import io.dranode.agent.view.AgentViews;
import io.dranode.agent.view.Views;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;

/**
 * {@code dranode.agent.v1.Inspection}: the read model, and a live stream of plugin events. Spring
 * gRPC registers it on the server because it is a {@code BindableService} bean.
 */
@Service
public class InspectionService extends InspectionGrpc.InspectionImplBase {

  private final AgentViews views;
  private final EventStreams streams;

  InspectionService(AgentViews views, EventStreams streams) {
    this.views = views;
    this.streams = streams;
  }

  @Override
  public void listPlugins(
      ListPluginsRequest request, StreamObserver<ListPluginsResponse> responseObserver) {
    responseObserver.onNext(ProtoViews.plugins(views.plugins()));
    responseObserver.onCompleted();
  }

  @Override
  public void getPlugin(GetPluginRequest request, StreamObserver<Driver> responseObserver) {
    String name = request.getDriver();
    if (!KubernetesNames.isDriverName(name)) {
      responseObserver.onError(
          Status.INVALID_ARGUMENT
              .withDescription(KubernetesNames.notADriverName(name))
              .asRuntimeException());
      return;
    }
    Optional<Views.Driver> view = views.driver(name);
    if (view.isEmpty()) {
      responseObserver.onError(
          Status.NOT_FOUND
              .withDescription("no DRA driver " + name + " is registered on this node")
              .asRuntimeException());
      return;
    }
    responseObserver.onNext(ProtoViews.driver(view.get()));
    responseObserver.onCompleted();
  }

  /** A stream of every event from the call on; ended when the agent shuts down. */
  @Override
  public void watchPlugins(
      WatchPluginsRequest request, StreamObserver<PluginEvent> responseObserver) {
    ServerCallStreamObserver<PluginEvent> call =
        (ServerCallStreamObserver<PluginEvent>) responseObserver;
    // The handlers must be set before this method returns, and before the feed may use them.
    Watch watch = new Watch(call);
    call.setOnCancelHandler(watch::cancelled);
    call.setOnReadyHandler(watch::becameReady);
    EventFeed feed = streams.open(watch);
    watch.feed = feed;
    if (call.isCancelled()) {
      feed.abandon(); // cancelled before the handler could see the feed
    }
  }

  /** One watch call as an event sink. */
  private static final class Watch implements EventSink {
    private final ServerCallStreamObserver<PluginEvent> call;
    private volatile @Nullable EventFeed feed;

    Watch(ServerCallStreamObserver<PluginEvent> call) {
      this.call = call;
    }

    void cancelled() {
      EventFeed current = feed;
      if (current != null) {
        current.abandon();
      }
    }

    void becameReady() {
      EventFeed current = feed;
      if (current != null) {
        current.signal();
      }
    }

    @Override
    public boolean ready() {
      return call.isReady();
    }

    @Override
    public void send(AgentEvent event) {
      call.onNext(ProtoViews.event(event));
    }

    @Override
    public void end(@Nullable Problem problem) {
      if (problem == null) {
        call.onCompleted();
        return;
      }
      Status status =
          switch (problem) {
            case FELL_BEHIND ->
                Status.RESOURCE_EXHAUSTED.withDescription(
                    "watcher fell more than " + EventFeed.CAPACITY + " events behind; watch again");
            case SHUTTING_DOWN -> Status.UNAVAILABLE.withDescription("the agent is shutting down");
          };
      call.onError(status.asRuntimeException());
    }
  }

  @Override
  public void listCleanups(
      ListCleanupsRequest request, StreamObserver<ListCleanupsResponse> responseObserver) {
    responseObserver.onNext(ProtoViews.cleanups(views.cleanups()));
    responseObserver.onCompleted();
  }

  @Override
  public void listResourceSlices(
      ListResourceSlicesRequest request,
      StreamObserver<ListResourceSlicesResponse> responseObserver) {
    responseObserver.onNext(ProtoViews.slices(views.slices()));
    responseObserver.onCompleted();
  }

  @Override
  public void listDeviceHealth(
      ListDeviceHealthRequest request, StreamObserver<ListDeviceHealthResponse> responseObserver) {
    responseObserver.onNext(ProtoViews.devices(views.devices()));
    responseObserver.onCompleted();
  }
}
