package io.dranode.agent.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import io.dranode.agent.proto.drahealth.v1.DRAResourceHealthGrpc;
import io.dranode.agent.proto.drahealth.v1.DeviceHealth;
import io.dranode.agent.proto.drahealth.v1.DeviceIdentifier;
import io.dranode.agent.proto.drahealth.v1.HealthStatus;
import io.dranode.agent.proto.drahealth.v1.NodeWatchResourcesRequest;
import io.dranode.agent.proto.drahealth.v1.NodeWatchResourcesResponse;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A DRA driver's device-health service, {@code NodeWatchResources} in {@code v1} and {@code
 * v1alpha1}: each stream gets the current device list at once, then every {@link #publish}. All
 * sends happen under this object's lock, so no stream sees an older list after a newer one and a
 * new stream cannot miss a change made while it opens. It counts calls and cancellations, and can
 * fail calls or answer {@code UNIMPLEMENTED}. Serve it on a {@link UnixGrpcServer}.
 */
public final class PluginHealth {

  /** One device as the plugin reports it; {@code health} is the wire number (1 healthy, 2 not). */
  public record Device(
      String pool, String device, int health, long lastUpdated, long timeout, String message) {
    public static Device healthy(String device) {
      return new Device("pool", device, HealthStatus.HEALTHY_VALUE, 0, 0, "");
    }

    public static Device unhealthy(String device, String message) {
      return new Device("pool", device, HealthStatus.UNHEALTHY_VALUE, 0, 0, message);
    }
  }

  private static final String V1ALPHA1 =
      io.dranode.agent.proto.drahealth.v1alpha1.DRAResourceHealthGrpc.SERVICE_NAME;

  private final AtomicInteger v1Calls = new AtomicInteger();
  private final AtomicInteger v1alpha1Calls = new AtomicInteger();
  private final AtomicInteger cancelled = new AtomicInteger();
  private final AtomicInteger failNext = new AtomicInteger();
  private volatile boolean unimplemented;
  // A cancelled stream leaves on a transport thread, without the lock.
  private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
  private List<Device> devices = List.of(); // guarded by this
  private boolean ended; // guarded by this

  /** The {@code v1} service. */
  public BindableService v1() {
    return new Watch(v1Calls);
  }

  /** The {@code v1alpha1} service: the same messages on the wire. */
  public ServerServiceDefinition v1alpha1() {
    return SameWire.servedAs(V1ALPHA1, new Watch(v1alpha1Calls));
  }

  /** Replaces the device list and sends it on every open stream. */
  public synchronized void publish(List<Device> next) {
    devices = List.copyOf(next);
    NodeWatchResourcesResponse message = v1(devices);
    streams.removeIf(stream -> !stream.send(message));
  }

  public int openStreams() {
    return streams.size();
  }

  /** Ends every open stream with the status, as a crashing health check would. */
  public synchronized void failOpenStreams(Status status) {
    streams.forEach(stream -> stream.end(status));
    streams.clear();
  }

  /** Ends every stream normally; a stream opened later is ended at once. */
  public synchronized void completeAll() {
    ended = true;
    streams.forEach(stream -> stream.end(null));
    streams.clear();
  }

  /** Forgets every stream without a word to it, as a crashed process does. */
  public synchronized void abandonAll() {
    ended = true;
    streams.clear();
  }

  /** The next {@code n} calls fail with UNAVAILABLE. */
  public void failNext(int n) {
    failNext.set(n);
  }

  /** Every later call is answered UNIMPLEMENTED, as by a driver without health. */
  public void answerUnimplemented() {
    unimplemented = true;
  }

  public int v1Calls() {
    return v1Calls.get();
  }

  public int v1alpha1Calls() {
    return v1alpha1Calls.get();
  }

  /** Streams that their client cancelled. */
  public int cancelled() {
    return cancelled.get();
  }

  public static NodeWatchResourcesResponse v1(List<Device> list) {
    NodeWatchResourcesResponse.Builder response = NodeWatchResourcesResponse.newBuilder();
    for (Device d : list) {
      response.addDevices(
          DeviceHealth.newBuilder()
              .setDevice(
                  DeviceIdentifier.newBuilder().setPoolName(d.pool()).setDeviceName(d.device()))
              .setHealthValue(d.health())
              .setLastUpdatedTime(d.lastUpdated())
              .setHealthCheckTimeoutSeconds(d.timeout())
              .setMessage(d.message()));
    }
    return response.build();
  }

  public static io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesResponse v1alpha1(
      List<Device> list) {
    try {
      return io.dranode.agent.proto.drahealth.v1alpha1.NodeWatchResourcesResponse.parseFrom(
          v1(list).toByteString());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("v1 and v1alpha1 differ on the wire", e);
    }
  }

  private synchronized void open(Stream stream) {
    if (ended) {
      stream.end(null);
      return;
    }
    streams.add(stream);
    if (!stream.send(v1(devices))) {
      streams.remove(stream);
    }
  }

  private final class Watch extends DRAResourceHealthGrpc.DRAResourceHealthImplBase {
    private final AtomicInteger calls;

    Watch(AtomicInteger calls) {
      this.calls = calls;
    }

    @Override
    public void nodeWatchResources(
        NodeWatchResourcesRequest request, StreamObserver<NodeWatchResourcesResponse> observer) {
      calls.incrementAndGet();
      ServerCallStreamObserver<NodeWatchResourcesResponse> call =
          (ServerCallStreamObserver<NodeWatchResourcesResponse>) observer;
      if (unimplemented) {
        call.onError(Status.UNIMPLEMENTED.withDescription("no health here").asRuntimeException());
        return;
      }
      if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        call.onError(
            Status.UNAVAILABLE.withDescription("health check crashed").asRuntimeException());
        return;
      }
      Stream stream = new Stream(call);
      call.setOnCancelHandler(
          () -> {
            cancelled.incrementAndGet();
            streams.remove(stream);
          });
      open(stream);
    }
  }

  /** One open stream; used only under the lock of its {@code PluginHealth}. */
  private static final class Stream {
    private final ServerCallStreamObserver<NodeWatchResourcesResponse> call;
    private boolean done;

    Stream(ServerCallStreamObserver<NodeWatchResourcesResponse> call) {
      this.call = call;
    }

    /** False when the stream is gone (ended, cancelled, disconnected). */
    boolean send(NodeWatchResourcesResponse message) {
      if (done || call.isCancelled()) {
        return false;
      }
      try {
        call.onNext(message);
        return true;
      } catch (RuntimeException e) {
        done = true;
        return false;
      }
    }

    void end(@Nullable Status status) {
      if (done) {
        return;
      }
      done = true;
      try {
        if (status == null) {
          call.onCompleted();
        } else {
          call.onError(status.asRuntimeException());
        }
      } catch (RuntimeException e) {
        // already cancelled by the client: nothing left to end
      }
    }
  }
}
