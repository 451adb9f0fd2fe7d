package io.dranode.example;

import io.dranode.agent.proto.pluginregistration.InfoRequest;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.proto.pluginregistration.RegistrationGrpc;
import io.dranode.agent.proto.pluginregistration.RegistrationStatusResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code pluginregistration.Registration} as the helper library serves it: {@code GetInfo} tells
 * who we are, {@code NotifyRegistrationStatus} is stored for the driver to read, and a refusal is
 * answered with the helper's own error ({@code failed registration process: …}).
 */
final class RegistrationService extends RegistrationGrpc.RegistrationImplBase {

  private static final Logger log = LoggerFactory.getLogger(RegistrationService.class);

  private final PluginInfo info;
  private final AtomicInteger getInfoCalls = new AtomicInteger();
  private final AtomicInteger statusCalls = new AtomicInteger();
  private final List<Consumer<RegistrationStatus>> listeners = new CopyOnWriteArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition statusChanged = lock.newCondition();
  private @Nullable RegistrationStatus last;

  RegistrationService(String type, String name, String endpoint, List<String> versions) {
    this.info =
        PluginInfo.newBuilder()
            .setType(type)
            .setName(name)
            .setEndpoint(endpoint)
            .addAllSupportedVersions(versions)
            .build();
  }

  @Override
  public void getInfo(InfoRequest request, StreamObserver<PluginInfo> response) {
    getInfoCalls.incrementAndGet();
    response.onNext(info);
    response.onCompleted();
  }

  @Override
  public void notifyRegistrationStatus(
      io.dranode.agent.proto.pluginregistration.RegistrationStatus request,
      StreamObserver<RegistrationStatusResponse> response) {
    RegistrationStatus status =
        new RegistrationStatus(
            request.getPluginRegistered(), request.getError(), System.nanoTime());
    lock.lock();
    try {
      last = status;
      statusCalls.incrementAndGet();
      statusChanged.signalAll();
    } finally {
      lock.unlock();
    }
    for (Consumer<RegistrationStatus> listener : listeners) {
      try {
        listener.accept(status);
      } catch (RuntimeException e) {
        log.warn("registration status listener failed", e);
      }
    }
    if (status.registered()) {
      log.info("{}: registered", info.getName());
      response.onNext(RegistrationStatusResponse.getDefaultInstance());
      response.onCompleted();
    } else {
      log.warn("{}: registration refused: {}", info.getName(), status.error());
      response.onError(
          Status.UNKNOWN
              .withDescription("failed registration process: " + status.error())
              .asRuntimeException());
    }
  }

  void addListener(Consumer<RegistrationStatus> listener) {
    listeners.add(listener);
  }

  Optional<RegistrationStatus> last() {
    lock.lock();
    try {
      return Optional.ofNullable(last);
    } finally {
      lock.unlock();
    }
  }

  int statusCalls() {
    return statusCalls.get();
  }

  int getInfoCalls() {
    return getInfoCalls.get();
  }

  /** Waits until the last status received says registered; false when the time ran out. */
  boolean awaitRegistered(Duration timeout) throws InterruptedException {
    long remaining = timeout.toNanos();
    lock.lock();
    try {
      while (last == null || !last.registered()) {
        if (remaining <= 0) {
          return false;
        }
        remaining = statusChanged.awaitNanos(remaining);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }
}
