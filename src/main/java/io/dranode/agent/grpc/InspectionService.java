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
import io.dranode.agent.api.v1.PluginEvent;
import io.dranode.agent.api.v1.WatchPluginsRequest;
import io.dranode.agent.cleanup.PendingWipes;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.devicehealth.DeviceHealthMonitor;
import io.dranode.agent.event.EventBus;
import io.dranode.agent.plugin.DriverView;
import io.dranode.agent.plugin.PluginStore;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

/**
 * {@code dranode.agent.v1.Inspection}: read-only views of the store, the cleanups and device
 * health, and a live stream of plugin events. Spring gRPC registers it on the server because it is
 * a {@code BindableService} bean.
 */
@Service
public class InspectionService extends InspectionGrpc.InspectionImplBase {

  /** A lower-case DNS subdomain; a driver name is also at most 63 characters (as upstream). */
  private static final Pattern DRIVER_NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private static final int MAX_DRIVER_NAME = 63;

  private final PluginStore store;
  private final PendingWipes wipes;
  private final DeviceHealthMonitor deviceHealth;
  private final EventBus events;
  private final AgentProperties properties;
  private final Executor executor;
  private final Set<EventStream> watchers = ConcurrentHashMap.newKeySet();
  private volatile boolean closing;

  InspectionService(
      PluginStore store,
      PendingWipes wipes,
      DeviceHealthMonitor deviceHealth,
      EventBus events,
      AgentProperties properties,
      @Qualifier("grpcExecutor") Executor executor) {
    this.store = store;
    this.wipes = wipes;
    this.deviceHealth = deviceHealth;
    this.events = events;
    this.properties = properties;
    this.executor = executor;
  }

  @Override
  public void listPlugins(
      ListPluginsRequest request, StreamObserver<ListPluginsResponse> responseObserver) {
    ListPluginsResponse.Builder response =
        ListPluginsResponse.newBuilder()
            .setNode(properties.nodeName())
            .setMode(properties.mode().name().toLowerCase(Locale.ROOT));
    store.drivers().forEach(d -> response.addDrivers(driver(d)));
    store.rejections().forEach(r -> response.addRejected(ProtoViews.rejected(r)));
    responseObserver.onNext(response.build());
    responseObserver.onCompleted();
  }

  @Override
  public void getPlugin(GetPluginRequest request, StreamObserver<Driver> responseObserver) {
    String name = request.getDriver();
    if (name.isEmpty() || name.length() > MAX_DRIVER_NAME || !DRIVER_NAME.matcher(name).matches()) {
      responseObserver.onError(
          Status.INVALID_ARGUMENT
              .withDescription(
                  "driver must be a lower-case DNS subdomain of at most "
                      + MAX_DRIVER_NAME
                      + " characters")
              .asRuntimeException());
      return;
    }
    Optional<DriverView> view = store.driver(name);
    if (view.isEmpty()) {
      responseObserver.onError(
          Status.NOT_FOUND
              .withDescription("no DRA driver " + name + " is registered on this node")
              .asRuntimeException());
      return;
    }
    responseObserver.onNext(driver(view.get()));
    responseObserver.onCompleted();
  }

  private Driver driver(DriverView view) {
    return ProtoViews.driver(view, wipes.pendingFor(view.driver()));
  }

  @Override
  public void watchPlugins(
      WatchPluginsRequest request, StreamObserver<PluginEvent> responseObserver) {
    ServerCallStreamObserver<PluginEvent> call =
        (ServerCallStreamObserver<PluginEvent>) responseObserver;
    EventStream stream = new EventStream(call, executor, watchers::remove);
    watchers.add(stream);
    stream.start(events);
    if (closing) {
      stream.end(shuttingDown());
    }
  }

  /** Open watches; for tests and metrics. */
  int watchers() {
    return watchers.size();
  }

  /**
   * Ends every watch before the server's graceful shutdown starts: it waits for open calls, and a
   * watch never ends by itself.
   */
  @EventListener(ContextClosedEvent.class)
  void closeWatches() {
    closing = true;
    watchers.forEach(w -> w.end(shuttingDown()));
  }

  private static Status shuttingDown() {
    return Status.UNAVAILABLE.withDescription("the agent is shutting down");
  }

  @Override
  public void listCleanups(
      ListCleanupsRequest request, StreamObserver<ListCleanupsResponse> responseObserver) {
    ListCleanupsResponse.Builder response = ListCleanupsResponse.newBuilder();
    wipes.pending().forEach(w -> response.addPending(ProtoViews.pendingWipe(w)));
    wipes.recent().forEach(w -> response.addRecent(ProtoViews.wipeRecord(w)));
    responseObserver.onNext(response.build());
    responseObserver.onCompleted();
  }

  @Override
  public void listDeviceHealth(
      ListDeviceHealthRequest request, StreamObserver<ListDeviceHealthResponse> responseObserver) {
    ListDeviceHealthResponse.Builder response = ListDeviceHealthResponse.newBuilder();
    deviceHealth.devices().forEach(d -> response.addDevices(ProtoViews.device(d)));
    responseObserver.onNext(response.build());
    responseObserver.onCompleted();
  }
}
