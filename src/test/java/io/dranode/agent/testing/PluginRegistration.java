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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A plugin's side of {@code pluginregistration.Registration}: {@code GetInfo} answers what it is
 * told (a {@link PluginInfo}, one per socket, raw bytes that no well-typed plugin could send, or an
 * error), or nothing while it hangs; every {@code NotifyRegistrationStatus} goes to its {@link
 * Notifications} with the socket it came in on and when. Serve it on a {@link UnixGrpcServer}.
 */
public final class PluginRegistration implements BindableService {

  // Bytes on the wire, not messages: a test can answer what no well-typed plugin could send.
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

  private final AtomicInteger getInfoCalls = new AtomicInteger();
  private final Notifications notifications = new Notifications();
  private final Object lock = new Object();
  private final List<Held> held = new ArrayList<>(); // guarded by lock
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
    synchronized (lock) {
      hanging = true;
    }
  }

  /** Answers the calls held so far (those the client has not given up on) and all later ones. */
  public void release() {
    List<Held> waiting;
    synchronized (lock) {
      hanging = false;
      waiting = new ArrayList<>(held);
      held.clear();
    }
    for (Held call : waiting) {
      if (!call.observer().isCancelled()) {
        reply(call.observer(), call.socket());
      }
    }
  }

  public int getInfoCalls() {
    return getInfoCalls.get();
  }

  /** What {@code NotifyRegistrationStatus} was told, in order. */
  public Notifications notifications() {
    return notifications;
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
    synchronized (lock) {
      if (hanging) {
        Held waiting = new Held(call, socket);
        // Without a cancel handler, answering a call the client gave up on would throw.
        call.setOnCancelHandler(
            () -> {
              synchronized (lock) {
                held.remove(waiting);
              }
            });
        held.add(waiting);
        return;
      }
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
    notifications.add(notification);
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
