package io.dranode.agent.registration;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.Mode;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.config.Phases;
import io.dranode.agent.input.Untrusted;
import io.dranode.agent.plugin.IgnoredSocket;
import io.dranode.agent.plugin.PluginStore;
import io.dranode.agent.plugin.Rejection;
import io.dranode.agent.proto.pluginregistration.PluginInfo;
import io.dranode.agent.watch.RegistryListener;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.util.backoff.BackOffExecution;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * Turns registry sockets into registered driver instances: dial, {@code GetInfo}, validate, record,
 * notify. Attempts for one socket never overlap (a generation number makes stale ones give up);
 * attempts for different sockets run in parallel, so a hanging plugin delays nobody else. Transient
 * failures are retried with the kubelet's backoff; invalid input waits for the socket to be
 * re-created.
 */
@Component
class RegistrationHandler implements RegistryListener, SmartLifecycle, RegistrationStatistics {

  /**
   * A socket's file appears at bind(), a moment before its server listens: the first dials may be
   * refused. Quick retries keep registration latency in milliseconds instead of inheriting the 500
   * ms backoff.
   */
  private static final long[] QUICK_RETRY_MILLIS = {2, 5, 10, 20};

  private static final Logger log = LoggerFactory.getLogger(RegistrationHandler.class);

  private final PluginStore store;
  private final RegistrationClient client;
  private final PluginValidator validator;
  private final AgentScheduler scheduler;
  private final Executor executor;
  private final Clock clock;
  private final Mode mode;
  private final ExponentialBackOff backOff;

  private final Object lock = new Object();
  private final Map<Path, SocketState> sockets = new HashMap<>(); // guarded by lock
  private final LongAdder accepted = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder registeredNanos = new LongAdder();
  private volatile boolean running;

  RegistrationHandler(
      AgentProperties properties,
      PluginStore store,
      RegistrationClient client,
      AgentScheduler scheduler,
      @Qualifier("registrationExecutor") Executor executor,
      Clock clock) {
    this.store = store;
    this.client = client;
    this.validator =
        new PluginValidator(
            properties.kubeletRootDir(), properties.registryDir(), properties.pluginsDir());
    this.scheduler = scheduler;
    this.executor = executor;
    this.clock = clock;
    this.mode = properties.mode();
    // The kubelet's per-socket backoff: 500 ms, doubling, up to 2 min 2 s, forever.
    this.backOff = new ExponentialBackOff(properties.registration().retryInitial().toMillis(), 2.0);
    this.backOff.setMaxInterval(properties.registration().retryMax().toMillis());
  }

  /** Per-socket bookkeeping; all fields guarded by the handler's lock. */
  private static final class SocketState {
    final Path socket;
    long generation;
    long seenAtNanos;
    int attempts;
    @Nullable BackOffExecution backOff;
    AgentScheduler.@Nullable Cancellable retry;
    @Nullable String driver;
    @Nullable String endpoint;

    SocketState(Path socket) {
      this.socket = socket;
    }
  }

  /**
   * One attempt at registering a socket's plugin, over one connection to it.
   *
   * @param generation the socket's generation when the attempt started
   * @param number the attempt's number since the socket appeared
   */
  private record Attempt(
      SocketState state, long generation, int number, RegistrationClient.Session session) {

    Path socket() {
      return state.socket;
    }

    /** Whether this attempt still speaks for its socket. Caller holds the handler's lock. */
    boolean current() {
      return state.generation == generation;
    }
  }

  @Override
  public void socketCreated(Path socket) {
    synchronized (lock) {
      SocketState state = sockets.get(socket);
      if (state == null) {
        state = new SocketState(socket);
        sockets.put(socket, state);
      } else {
        forget(state, "registration socket re-created");
      }
      state.generation++;
      state.attempts = 0;
      state.backOff = null;
      state.seenAtNanos = System.nanoTime();
      store.awaitAnswer(socket);
      submit(state, state.generation);
    }
  }

  @Override
  public void socketRemoved(Path socket) {
    synchronized (lock) {
      SocketState state = sockets.remove(socket);
      if (state != null) {
        state.generation++;
        forget(state, "registration socket removed");
      }
      store.forgetSocket(socket);
    }
  }

  /** Drops a socket's registration and any pending retry. Caller holds the lock. */
  private void forget(SocketState state, String why) {
    AgentScheduler.Cancellable retry = state.retry;
    if (retry != null) {
      retry.cancel();
      state.retry = null;
    }
    String driver = state.driver;
    String endpoint = state.endpoint;
    if (driver != null && endpoint != null) {
      store.deregister(driver, endpoint, why);
    }
    state.driver = null;
    state.endpoint = null;
  }

  private void submit(SocketState state, long generation) {
    if (!running) {
      return;
    }
    executor.execute(() -> attempt(state, generation));
  }

  private void attempt(SocketState state, long generation) {
    int number;
    synchronized (lock) {
      if (!running || state.generation != generation) {
        return;
      }
      state.retry = null;
      number = ++state.attempts;
    }
    MDC.put("registrationSocket", state.socket.toString());
    try (RegistrationClient.Session session = client.open(state.socket)) {
      Attempt attempt = new Attempt(state, generation, number, session);
      PluginInfo info;
      try {
        info = session.getInfo();
      } catch (StatusRuntimeException e) {
        failed(attempt, e);
        return;
      }
      decide(attempt, info);
    } catch (RuntimeException e) {
      log.warn("Registration attempt for {} failed unexpectedly", state.socket, e);
      retryLater(state, generation, number, null, "internal error: " + e);
    } finally {
      MDC.remove("registrationSocket");
      MDC.remove("driver");
      MDC.remove("endpoint");
    }
  }

  private void decide(Attempt attempt, PluginInfo info) {
    Decision decision = validator.decide(info, attempt.socket());
    if (decision instanceof Decision.Accept accept) {
      MDC.put("driver", accept.driver());
      MDC.put("endpoint", accept.endpoint());
      accept(attempt, accept);
    } else if (decision instanceof Decision.Refuse refuse) {
      refuse(attempt, refuse.driver(), refuse.reason(), true);
    } else if (decision instanceof Decision.NotOurs notOurs) {
      if (mode == Mode.OBSERVER) {
        store.ignore(new IgnoredSocket(attempt.socket(), notOurs.type(), notOurs.name()));
        log.debug("Ignoring {} plugin at {}", notOurs.type(), attempt.socket());
      } else {
        refuse(
            attempt,
            null,
            "plugin type " + notOurs.type() + " is not handled by this agent (DRAPlugin only)",
            true);
      }
    }
  }

  private void accept(Attempt attempt, Decision.Accept accept) {
    PluginStore.Outcome outcome;
    synchronized (lock) {
      if (!running || !attempt.current()) {
        return;
      }
      outcome =
          store.register(
              accept.driver(),
              accept.endpoint(),
              attempt.socket(),
              accept.service(),
              accept.healthService());
      if (outcome instanceof PluginStore.Outcome.Registered) {
        attempt.state().driver = accept.driver();
        attempt.state().endpoint = accept.endpoint();
        accepted.increment();
        registeredNanos.add(System.nanoTime() - attempt.state().seenAtNanos);
      }
    }
    if (outcome instanceof PluginStore.Outcome.Refused refused) {
      refuse(attempt, accept.driver(), refused.reason(), true);
      return;
    }
    // The plugin hears it first; the log line is not on its way.
    notifyPlugin(attempt, true, "");
    log.info(
        "Registered DRA driver {} at {} using {}{}",
        accept.driver(),
        accept.endpoint(),
        accept.service(),
        accept.healthService() == null ? "" : " and " + accept.healthService());
  }

  /**
   * Records a refusal (not retried: the socket must be re-created), logs it, and, if asked and the
   * attempt is still current, tells the plugin why.
   */
  private void refuse(Attempt attempt, @Nullable String driver, String reason, boolean tell) {
    synchronized (lock) {
      if (!attempt.current()) {
        return;
      }
      store.reject(
          new Rejection(
              attempt.socket(), driver, reason, attempt.number(), clock.instant(), false));
      rejected.increment();
    }
    log.warn("Refused plugin at {}: {}", attempt.socket(), reason);
    if (tell) {
      notifyPlugin(attempt, false, reason);
    }
  }

  private void notifyPlugin(Attempt attempt, boolean registered, String error) {
    if (mode != Mode.REGISTRAR) {
      return;
    }
    try {
      attempt.session().notifyStatus(registered, error);
    } catch (StatusRuntimeException e) {
      // The decision stands either way: a plugin that cannot hear it still gets served (or not).
      log.warn(
          "Could not notify plugin at {} of its registration status: {}",
          attempt.socket(),
          e.getStatus());
    }
  }

  private void failed(Attempt attempt, StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    String reason = describe(e.getStatus());
    if (code == Status.Code.RESOURCE_EXHAUSTED || code == Status.Code.UNIMPLEMENTED) {
      // Not transient: an oversized answer, or no registration service at all. Only a plugin
      // whose answer was too big has a registration service that can hear why.
      refuse(attempt, null, reason, code == Status.Code.RESOURCE_EXHAUSTED);
      return;
    }
    retryLater(attempt.state(), attempt.generation(), attempt.number(), code, reason);
  }

  private void retryLater(
      SocketState state, long generation, int attempt, Status.@Nullable Code code, String reason) {
    synchronized (lock) {
      if (!running || state.generation != generation) {
        return;
      }
      long delay;
      if (code == Status.Code.UNAVAILABLE && attempt <= QUICK_RETRY_MILLIS.length) {
        delay = QUICK_RETRY_MILLIS[attempt - 1];
      } else {
        BackOffExecution execution = state.backOff;
        if (execution == null) {
          execution = backOff.start();
          state.backOff = execution;
        }
        delay = execution.nextBackOff();
        failed.increment();
        store.reject(new Rejection(state.socket, null, reason, attempt, clock.instant(), true));
        if (attempt == QUICK_RETRY_MILLIS.length + 1 || code != Status.Code.UNAVAILABLE) {
          log.info(
              "Plugin at {} not reachable yet ({}); retrying in {} ms",
              state.socket,
              reason,
              delay);
        } else {
          log.debug(
              "Plugin at {} still not reachable ({}); retrying in {} ms",
              state.socket,
              reason,
              delay);
        }
      }
      state.retry =
          scheduler.scheduleAfter(() -> submit(state, generation), Duration.ofMillis(delay));
    }
  }

  @Override
  public long accepted() {
    return accepted.sum();
  }

  @Override
  public long rejected() {
    return rejected.sum();
  }

  @Override
  public long failed() {
    return failed.sum();
  }

  @Override
  public double registrationSecondsTotal() {
    return registeredNanos.sum() / 1e9;
  }

  private static String describe(Status status) {
    String description = status.getDescription();
    String text = status.getCode() + (description == null ? "" : ": " + description);
    return Untrusted.clean(text);
  }

  @Override
  public void start() {
    running = true;
  }

  @Override
  public void stop() {
    synchronized (lock) {
      running = false;
      for (SocketState state : sockets.values()) {
        state.generation++;
        AgentScheduler.Cancellable retry = state.retry;
        if (retry != null) {
          retry.cancel();
        }
      }
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return Phases.REGISTRATION;
  }
}
