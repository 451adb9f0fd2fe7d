package io.dranode.example;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.function.Function;

/** One open {@code NodeWatchResources} stream, whatever the API version it speaks. */
final class HealthStream<T> {

  private final ServerCallStreamObserver<T> call;
  private final Function<List<DeviceHealthState>, T> encoder;

  HealthStream(ServerCallStreamObserver<T> call, Function<List<DeviceHealthState>, T> encoder) {
    this.call = call;
    this.encoder = encoder;
  }

  /** Sends the full device list; false when the stream is gone (cancelled, disconnected). */
  boolean send(List<DeviceHealthState> devices) {
    if (call.isCancelled()) {
      return false;
    }
    try {
      call.onNext(encoder.apply(devices));
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  void complete() {
    try {
      call.onCompleted();
    } catch (RuntimeException e) {
      // already cancelled by the client: nothing left to complete
    }
  }
}
