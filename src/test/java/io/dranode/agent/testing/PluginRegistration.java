package io.dranode.agent.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.proto.pluginregistration.RegistrationGrpc;
import io.dranode.agent.proto.pluginregistration.RegistrationStatus;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A plugin's side of {@code pluginregistration.Registration}: {@code GetInfo} answers what it is
 * told (a {@link PluginInfo}, one per socket, raw bytes that no well-typed plugin could send, or an
 * error), or nothing while it hangs; every {@code NotifyRegistrationStatus} is recorded with the
 * socket it came in on and when. Serve it on a {@link UnixGrpcServer}.
 */
public final class PluginRegistration implements BindableService {

  /** How long {@link #nextNotification()} waits. */
  public static final Duration WAIT = Duration.ofSeconds(10);

  private static final Logger log = LoggerFactory.getLogger(PluginRegistration.class);

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  /**
   * One {@code NotifyRegistrationStatus} as the plugin received it.
   *
   * @param socket the socket it came in on
   * @param registered the registrar's {@code plugin_registered}
   * @param error the registrar's reason when it refused the plugin, empty otherwise
   * @param receivedNanos {@link System#nanoTime()} when it arrived, for latency measurements
   */
  public record Notification(Path socket, boolean registered, String error, long receivedNanos) {}

  private final AtomicInteger getInfoCalls = new AtomicInteger();
  private final List<Consumer<Notification>> listeners = new CopyOnWriteArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notified = lock.newCondition();
  private final List<Notification> notifications = new ArrayList<>(); // guarded by lock
  private final List<Held> held = new ArrayList<>(); // guarded by lock
  private int taken; // guarded by lock
  private boolean hanging; // guarded by lock
  private volatile Function<Path, byte[]> answer;
  private volatile @Nullable Status failure;
  private volatile boolean serveNotify = true;
  private volatile boolean failRefusals;

  private PluginRegistration(Function<Path, byte[]> answer, @Nullable Status failure) {
    this.answer = answer;
    this.failure = failure;
  }

  public static PluginRegistration answering(PluginInfo info) {
    byte[] bytes = info.toByteArray();
    return new PluginRegistration(socket -> bytes, null);
  }

  /** Answers according to the socket the call came in on. */
  public static PluginRegistration answeringBySocket(Function<Path, PluginInfo> info) {
    return new PluginRegistration(socket -> info.apply(socket).toByteArray(), null);
  }

  /** Answers these bytes as if they were a {@code PluginInfo}. */
  public static PluginRegistration answeringBytes(byte[] answer) {
    byte[] bytes = answer.clone();
    return new PluginRegistration(socket -> bytes, null);
  }

  /** {@code GetInfo} fails with this status. */
  public static PluginRegistration failing(Status status) {
    return new PluginRegistration(socket -> new byte[0], status);
  }

  /** Serves no {@code NotifyRegistrationStatus} (a client gets UNIMPLEMENTED); before serving. */
  public PluginRegistration withoutNotify() {
    serveNotify = false;
    return this;
  }

  /**
   * Answers a refusal with the error the upstream kubelet-plugin helper returns ({@code failed
   * registration process: <reason>}); before serving.
   */
  public PluginRegistration failingRefusals() {
    failRefusals = true;
    return this;
  }

  /** From now on, answers {@code next}. */
  public void answer(PluginInfo next) {
    byte[] bytes = next.toByteArray();
    answer = socket -> bytes;
    failure = null;
  }

  /** {@code GetInfo} calls get no answer until {@link #release()}. */
  public void hang() {
    lock.lock();
    try {
      hanging = true;
    } finally {
      lock.unlock();
    }
  }

  /** Answers the calls held so far (those the client has not given up on) and all later ones. */
  public void release() {
    List<Held> waiting;
    lock.lock();
    try {
      hanging = false;
      waiting = new ArrayList<>(held);
      held.clear();
    } finally {
      lock.unlock();
    }
    for (Held call : waiting) {
      if (!call.observer().isCancelled()) {
        reply(call.observer(), call.socket());
      }
    }
  }

  /**
   * Called on the transport thread as each notification arrives, before it is answered: it must not
   * block. Add listeners before serving to miss nothing.
   */
  public void onNotification(Consumer<Notification> listener) {
    listeners.add(listener);
  }

  public int getInfoCalls() {
    return getInfoCalls.get();
  }

  public List<Notification> notifications() {
    return locked(() -> List.copyOf(notifications));
  }

  public Optional<Notification> last() {
    return locked(
        () ->
            notifications.isEmpty()
                ? Optional.empty()
                : Optional.of(notifications.get(notifications.size() - 1)));
  }

  /**
   * The oldest notification that no earlier call returned, waiting up to {@link #WAIT} for it.
   *
   * @throws AssertionError when none arrives in time
   */
  public Notification nextNotification() throws InterruptedException {
    Notification next =
        await(WAIT, () -> notifications.size() > taken ? notifications.get(taken++) : null);
    if (next == null) {
      throw new AssertionError("no NotifyRegistrationStatus within " + WAIT);
    }
    return next;
  }

  /** Waits until the last notification says registered; false when the time ran out. */
  public boolean awaitRegistered(Duration timeout) throws InterruptedException {
    return await(timeout, () -> last().filter(Notification::registered).orElse(null)) != null;
  }

  /**
   * When a {@code NotifyRegistrationStatus(true)} arrived after {@code afterNanos} (of {@link
   * System#nanoTime()}); waits up to {@code bound} for it.
   *
   * @throws IllegalStateException when none arrived in time
   */
  public long awaitRegisteredAfter(long afterNanos, Duration bound) throws InterruptedException {
    Notification registered =
        await(
            bound, () -> latest(n -> n.registered() && n.receivedNanos() > afterNanos, afterNanos));
    if (registered == null) {
      throw new IllegalStateException("not registered within " + bound);
    }
    return registered.receivedNanos();
  }

  /** How many {@code NotifyRegistrationStatus(true)} each socket received. */
  public Map<Path, Integer> registeredBySocket() {
    Map<Path, Integer> counts = new TreeMap<>();
    for (Notification n : notifications()) {
      if (n.registered()) {
        counts.merge(n.socket(), 1, Integer::sum);
      }
    }
    return counts;
  }

  @Override
  public ServerServiceDefinition bindService() {
    ServerServiceDefinition.Builder service =
        ServerServiceDefinition.builder(RegistrationGrpc.SERVICE_NAME)
            .addMethod(
                raw(RegistrationGrpc.getGetInfoMethod()),
                ServerCalls.asyncUnaryCall(this::getInfo));
    if (serveNotify) {
      service.addMethod(
          raw(RegistrationGrpc.getNotifyRegistrationStatusMethod()),
          ServerCalls.asyncUnaryCall(this::notifyStatus));
    }
    return service.build();
  }

  private void getInfo(byte[] request, StreamObserver<byte[]> response) {
    getInfoCalls.incrementAndGet();
    ServerCallStreamObserver<byte[]> call = (ServerCallStreamObserver<byte[]>) response;
    Path socket = UnixGrpcServer.callSocket();
    lock.lock();
    try {
      if (hanging) {
        Held waiting = new Held(call, socket);
        // Without a cancel handler, answering a call the client gave up on would throw.
        call.setOnCancelHandler(() -> locked(() -> held.remove(waiting)));
        held.add(waiting);
        return;
      }
    } finally {
      lock.unlock();
    }
    reply(call, socket);
  }

  private void reply(StreamObserver<byte[]> call, Path socket) {
    Status failing = failure;
    if (failing != null) {
      call.onError(failing.asRuntimeException());
      return;
    }
    call.onNext(answer.apply(socket));
    call.onCompleted();
  }

  private void notifyStatus(byte[] request, StreamObserver<byte[]> response) {
    long now = System.nanoTime();
    RegistrationStatus status;
    try {
      status = RegistrationStatus.parseFrom(request);
    } catch (InvalidProtocolBufferException e) {
      response.onError(
          Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    Notification notification =
        new Notification(
            UnixGrpcServer.callSocket(), status.getPluginRegistered(), status.getError(), now);
    locked(
        () -> {
          notifications.add(notification);
          notified.signalAll();
          return null;
        });
    for (Consumer<Notification> listener : listeners) {
      try {
        listener.accept(notification);
      } catch (RuntimeException e) {
        log.warn("registration status listener failed", e);
      }
    }
    if (failRefusals && !notification.registered()) {
      response.onError(
          Status.UNKNOWN
              .withDescription("failed registration process: " + notification.error())
              .asRuntimeException());
      return;
    }
    response.onNext(new byte[0]); // RegistrationStatusResponse is empty
    response.onCompleted();
  }

  /** The newest notification that matches, looking back only as far as {@code afterNanos}. */
  private @Nullable Notification latest(Predicate<Notification> matches, long afterNanos) {
    for (int i = notifications.size() - 1; i >= 0; i--) {
      Notification n = notifications.get(i);
      if (n.receivedNanos() <= afterNanos) {
        return null;
      }
      if (matches.test(n)) {
        return n;
      }
    }
    return null;
  }

  /** Evaluates {@code found} under the lock until it gives a value or the time runs out. */
  private <T> @Nullable T await(Duration timeout, Supplier<@Nullable T> found)
      throws InterruptedException {
    long remaining = timeout.toNanos();
    lock.lock();
    try {
      while (true) {
        T value = found.get();
        if (value != null || remaining <= 0) {
          return value;
        }
        remaining = notified.awaitNanos(remaining);
      }
    } finally {
      lock.unlock();
    }
  }

  private <T> T locked(Supplier<T> body) {
    lock.lock();
    try {
      return body.get();
    } finally {
      lock.unlock();
    }
  }

  private record Held(ServerCallStreamObserver<byte[]> observer, Path socket) {}

  private static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> typed) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(typed.getFullMethodName())
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }
}
