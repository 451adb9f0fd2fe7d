package io.dranode.agent.devicehealth;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A DRA driver's health service on a real Unix socket: v1, v1alpha1 or both. Each call first gets
 * the current device list, then every {@link #publish}. It counts calls and cancellations, and can
 * fail calls or answer {@code UNIMPLEMENTED}.
 */
public final class FakeHealthPlugin implements AutoCloseable {

  /** One device as the fake reports it; {@code health} is the wire number (1 healthy, 2 not). */
  public record Device(
      String pool, String device, int health, long lastUpdated, long timeout, String message) {
    public static Device healthy(String device) {
      return new Device("pool", device, 1, 0, 0, "");
    }

    public static Device unhealthy(String device, String message) {
      return new Device("pool", device, 2, 0, 0, message);
    }
  }

  public final Path socket;
  final AtomicInteger v1Calls = new AtomicInteger();
  final AtomicInteger v1alpha1Calls = new AtomicInteger();
  final AtomicInteger cancelled = new AtomicInteger();
  final AtomicInteger failNext = new AtomicInteger();
  volatile boolean unimplemented;

  private final Server server;
  private final List<OpenStream<?>> streams = new CopyOnWriteArrayList<>();
  private volatile List<Device> devices = List.of();

  private FakeHealthPlugin(Path socket, EventLoopGroup group, boolean v1, boolean v1alpha1)
      throws IOException {
    this.socket = socket;
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(group)
            .workerEventLoopGroup(group)
            .directExecutor();
    if (v1) {
      builder.addService(new V1());
    }
    if (v1alpha1) {
      builder.addService(new V1alpha1());
    }
    this.server = builder.build().start();
  }

  public static FakeHealthPlugin start(
      Path socket, EventLoopGroup group, boolean v1, boolean v1alpha1) throws IOException {
    return new FakeHealthPlugin(socket, group, v1, v1alpha1);
  }

  /** Replaces the device list and sends it on every open stream. */
  public void publish(List<Device> next) {
    devices = List.copyOf(next);
    streams.forEach(s -> s.send(next));
  }

  public int openStreams() {
    return streams.size();
  }

  /** Ends every open stream with the status, as a crashing health check would. */
  void failOpenStreams(Status status) {
    streams.forEach(s -> s.fail(status));
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private <R> void serve(StreamObserver<R> observer, Function<List<Device>, R> convert) {
    ServerCallStreamObserver<R> call = (ServerCallStreamObserver<R>) observer;
    if (unimplemented) {
      call.onError(Status.UNIMPLEMENTED.withDescription("no health here").asRuntimeException());
      return;
    }
    if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      call.onError(Status.UNAVAILABLE.withDescription("health check crashed").asRuntimeException());
      return;
    }
    OpenStream<R> stream = new OpenStream<>(call, convert);
    call.setOnCancelHandler(
        () -> {
          cancelled.incrementAndGet();
          streams.remove(stream);
        });
    streams.add(stream);
    stream.send(devices);
  }

  private final class OpenStream<R> {
    private final ServerCallStreamObserver<R> call;
    private final Function<List<Device>, R> convert;
    private boolean done;

    OpenStream(ServerCallStreamObserver<R> call, Function<List<Device>, R> convert) {
      this.call = call;
      this.convert = convert;
    }

    synchronized void send(List<Device> list) {
      if (!done && !call.isCancelled()) {
        call.onNext(convert.apply(list));
      }
    }

    synchronized void fail(Status status) {
      if (!done) {
        done = true;
        streams.remove(this);
        call.onError(status.asRuntimeException());
      }
    }
  }

  private final class V1
      extends io.dranode.agent.proto.drahealth.v1.DRAResourceHealthGrpc.DRAResourceHealthImplBase {
    @Override
    public void nodeWatchResources(
        io.dranode.agent.proto.drahealth.v1.NodeWatchResourcesRequest request,
        StreamObserver<io.dranode.agent.proto.drahealth.v1.NodeWatchResourcesResponse> observer) {
      v1Calls.incrementAndGet();
      serve(observer, FakeHealthPlugin::v1);
    }
  }

  private final class V1alpha1
      extends io.dranode.agent.proto.drahealth.v1alpha1.DRAResourceHealthGrpc
          .DRAResourceHealthImplBase {
    @Override
    public void nodeWatchResources(
        io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesRequest request,
        StreamObserver<io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesResponse>
            observer) {
      v1alpha1Calls.incrementAndGet();
      serve(observer, FakeHealthPlugin::v1alpha1);
    }
  }

  static io.dranode.agent.proto.drahealth.v1.NodeWatchResourcesResponse v1(List<Device> list) {
    var response = io.dranode.agent.proto.drahealth.v1.NodeWatchResourcesResponse.newBuilder();
    for (Device d : list) {
      response.addDevices(
          io.dranode.agent.proto.drahealth.v1.DeviceHealth.newBuilder()
              .setDevice(
                  io.dranode.agent.proto.drahealth.v1.DeviceIdentifier.newBuilder()
                      .setPoolName(d.pool())
                      .setDeviceName(d.device()))
              .setHealthValue(d.health())
              .setLastUpdatedTime(d.lastUpdated())
              .setHealthCheckTimeoutSeconds(d.timeout())
              .setMessage(d.message()));
    }
    return response.build();
  }

  static io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesResponse v1alpha1(
      List<Device> list) {
    var response =
        io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesResponse.newBuilder();
    for (Device d : list) {
      response.addDevices(
          io.dranode.agent.proto.drahealth.v1alpha1.DeviceHealth.newBuilder()
              .setDevice(
                  io.dranode.agent.proto.drahealth.v1alpha1.DeviceIdentifier.newBuilder()
                      .setPoolName(d.pool())
                      .setDeviceName(d.device()))
              .setHealthValue(d.health())
              .setLastUpdatedTime(d.lastUpdated())
              .setHealthCheckTimeoutSeconds(d.timeout())
              .setMessage(d.message()));
    }
    return response.build();
  }
}
