package io.dranode.agent.security;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Every gRPC call but the standard health service needs a bearer token in its {@code authorization}
 * metadata whose user may {@code get} the call's full method name as a non-resource path ({@code
 * /dranode.agent.v1.Inspection/ListPlugins}). A call whose answers are cached starts at once;
 * otherwise it starts (or is closed) when the review answers, and no thread waits for it meanwhile.
 */
final class BearerTokenInterceptor implements ServerInterceptor {

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final AccessReviews reviews;

  BearerTokenInterceptor(AccessReviews reviews) {
    this.reviews = reviews;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    if (Probes.GRPC_SERVICE.equals(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    String header = headers.get(AUTHORIZATION);
    String token = BearerTokens.token(header).orElse(null);
    if (token == null) {
      refuse(call, BearerTokens.refusal(header));
      return new ServerCall.Listener<>() {};
    }
    String path = "/" + call.getMethodDescriptor().getFullMethodName();
    CompletableFuture<Decision> decision = reviews.check(token, path, "get");
    if (decision.isDone()) {
      return proceed(decision.join(), call, headers, next);
    }
    DeferredListener<Q> deferred = new DeferredListener<>();
    Context context = Context.current();
    var unused =
        decision.whenComplete(
            (answer, failure) ->
                context.run(
                    () ->
                        deferred.decided(
                            () ->
                                proceed(
                                    answer != null
                                        ? answer
                                        : new Decision.Unavailable(
                                            "the agent could not check the bearer token", false),
                                    call,
                                    headers,
                                    next))));
    return deferred;
  }

  private static <Q, A> ServerCall.Listener<Q> proceed(
      Decision decision, ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    if (decision instanceof Decision.Allowed) {
      return next.startCall(call, headers);
    }
    refuse(call, decision);
    return new ServerCall.Listener<>() {};
  }

  private static void refuse(ServerCall<?, ?> call, Decision decision) {
    call.close(status(decision), new Metadata());
  }

  static Status status(Decision decision) {
    if (decision instanceof Decision.Unauthenticated refused) {
      return Status.UNAUTHENTICATED.withDescription(grpcWords(refused.detail()));
    }
    if (decision instanceof Decision.Forbidden forbidden) {
      return Status.PERMISSION_DENIED.withDescription(BearerTokenFilter.forbiddenDetail(forbidden));
    }
    if (decision instanceof Decision.Unavailable unavailable) {
      return Status.UNAVAILABLE.withDescription(unavailable.detail());
    }
    throw new IllegalArgumentException("not a refusal: " + decision);
  }

  /** The HTTP wording names the HTTP header; gRPC callers send metadata. */
  private static String grpcWords(String detail) {
    return detail
        .replace("the Authorization header", "the authorization metadata")
        .replace(
            "send 'Authorization: Bearer <token>'",
            "send the metadata 'authorization: Bearer <token>'");
  }

  /**
   * The listener of a call whose decision is pending. Until then the call has asked for no message,
   * so normally only readiness or cancellation can arrive; whatever arrives is kept and handed on,
   * in order, once the call has started. One lock serialises it all: the decision comes on a review
   * thread, the call's events on its own executor.
   */
  static final class DeferredListener<Q> extends ServerCall.Listener<Q> {
    private final Object lock = new Object();
    private final List<Consumer<ServerCall.Listener<Q>>> early = new ArrayList<>(); // guarded
    private ServerCall.@Nullable Listener<Q> delegate; // guarded by lock
    private boolean decided; // guarded by lock
    private boolean cancelled; // guarded by lock

    void decided(Supplier<ServerCall.Listener<Q>> start) {
      synchronized (lock) {
        decided = true;
        if (cancelled) {
          return; // the client left while we asked: start nothing
        }
        ServerCall.Listener<Q> started = start.get();
        delegate = started;
        early.forEach(event -> event.accept(started));
        early.clear();
      }
    }

    @Override
    public void onMessage(Q message) {
      deliver(l -> l.onMessage(message));
    }

    @Override
    public void onHalfClose() {
      deliver(ServerCall.Listener::onHalfClose);
    }

    @Override
    public void onCancel() {
      synchronized (lock) {
        if (delegate == null && !decided) {
          cancelled = true;
          early.clear();
          return;
        }
      }
      deliver(ServerCall.Listener::onCancel);
    }

    @Override
    public void onComplete() {
      deliver(ServerCall.Listener::onComplete);
    }

    @Override
    public void onReady() {
      deliver(ServerCall.Listener::onReady);
    }

    private void deliver(Consumer<ServerCall.Listener<Q>> event) {
      synchronized (lock) {
        ServerCall.Listener<Q> current = delegate;
        if (current != null) {
          event.accept(current);
        } else if (!decided) {
          early.add(event);
        } // decided and refused: the call is closed, nothing listens
      }
    }
  }
}
