package io.dranode.agent.registration;

import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentProperties.Mode;
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
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.TaskScheduler;
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
   * Starts before the registry watcher (so no socket it reports is dropped) and stops after it (so
   * no new socket arrives once retries are cancelled).
   */
  static final int PHASE = 180;

  /**
   * A socket's file appears at bind(), a moment before its server listens: the first dials may be
   * refused. These quick retries keep registration latency in milliseconds instead of inheriting
   * the 500 ms backoff.
   */
  private static final long[] QUICK_RETRY_MILLIS = {2, 5, 10, 20};

  private static final Logger log = LoggerFactory.getLogger(RegistrationHandler.class);

  private final PluginStore store;
  private final RegistrationClient client;
  private final PluginValidator validator;
  private final TaskScheduler scheduler;
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
      TaskScheduler scheduler,
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
    @Nullable ScheduledFuture<?> retry;
    @Nullable String driver;
    @Nullable String endpoint;

    SocketState(Path socket) {
      this.socket = socket;
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
    ScheduledFuture<?> retry = state.retry;
    if (retry != null) {
      retry.cancel(false);
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
    int attempt;
    synchronized (lock) {
      if (!running || state.generation != generation) {
        return;
      }
      state.retry = null;
      attempt = ++state.attempts;
    }
    MDC.put("registrationSocket", state.socket.toString());
    try (RegistrationClient.Session session = client.open(state.socket)) {
      PluginInfo info;
      try {
        info = session.getInfo();
      } catch (StatusRuntimeException e) {
        failed(state, generation, attempt, session, e);
        return;
      }
      decide(state, generation, attempt, session, info);
    } catch (RuntimeException e) {
      log.warn("Registration attempt for {} failed unexpectedly", state.socket, e);
      retryLater(state, generation, attempt, null, "internal error: " + e);
    } finally {
      MDC.remove("registrationSocket");
      MDC.remove("driver");
      MDC.remove("endpoint");
    }
  }

  private void decide(
      SocketState state,
      long generation,
      int attempt,
      RegistrationClient.Session session,
      PluginInfo info) {
    Decision decision = validator.decide(info, state.socket);
    if (decision instanceof Decision.Accept accepted) {
      MDC.put("driver", accepted.driver());
      MDC.put("endpoint", accepted.endpoint());
    }
    if (decision instanceof Decision.Accept accept) {
      accept(state, generation, attempt, session, accept);
    } else if (decision instanceof Decision.Refuse refuse) {
      refuse(state, generation, attempt, session, refuse.driver(), refuse.reason());
    } else if (decision instanceof Decision.NotOurs notOurs) {
      if (mode == Mode.OBSERVER) {
        store.ignore(new IgnoredSocket(state.socket, notOurs.type(), notOurs.name()));
        log.debug("Ignoring {} plugin at {}", notOurs.type(), state.socket);
      } else {
        refuse(
            state,
            generation,
            attempt,
            session,
            null,
            "plugin type " + notOurs.type() + " is not handled by this agent (DRAPlugin only)");
      }
    }
  }

  private void accept(
      SocketState state,
      long generation,
      int attempt,
      RegistrationClient.Session session,
      Decision.Accept accept) {
    PluginStore.Outcome outcome;
    synchronized (lock) {
      if (!running || state.generation != generation) {
        return;
      }
      outcome =
          store.register(
              accept.driver(),
              accept.endpoint(),
              state.socket,
              accept.service(),
              accept.healthService());
      if (outcome instanceof PluginStore.Outcome.Registered) {
        state.driver = accept.driver();
        state.endpoint = accept.endpoint();
        accepted.increment();
        registeredNanos.add(System.nanoTime() - state.seenAtNanos);
      }
    }
    if (outcome instanceof PluginStore.Outcome.Refused refused) {
      refuse(state, generation, attempt, session, accept.driver(), refused.reason());
      return;
    }
    // The plugin hears it first; the log line is not on its way.
    notifyPlugin(session, state.socket, true, "");
    log.info(
        "Registered DRA driver {} at {} using {}{}",
        accept.driver(),
        accept.endpoint(),
        accept.service(),
        accept.healthService() == null ? "" : " and " + accept.healthService());
  }

  private void refuse(
      SocketState state,
      long generation,
      int attempt,
      RegistrationClient.Session session,
      @Nullable String driver,
      String reason) {
    synchronized (lock) {
      if (state.generation != generation) {
        return;
      }
      store.reject(new Rejection(state.socket, driver, reason, attempt, clock.instant(), false));
      rejected.increment();
    }
    log.warn("Refused plugin at {}: {}", state.socket, reason);
    notifyPlugin(session, state.socket, false, reason);
  }

  private void notifyPlugin(
      RegistrationClient.Session session, Path socket, boolean registered, String error) {
    if (mode != Mode.REGISTRAR) {
      return;
    }
    try {
      session.notifyStatus(registered, error);
    } catch (StatusRuntimeException e) {
      // The decision stands either way: a plugin that cannot hear it still gets served (or not).
      log.warn(
          "Could not notify plugin at {} of its registration status: {}", socket, e.getStatus());
    }
  }

  private void failed(
      SocketState state,
      long generation,
      int attempt,
      RegistrationClient.Session session,
      StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    String reason = describe(e.getStatus());
    if (code == Status.Code.RESOURCE_EXHAUSTED || code == Status.Code.UNIMPLEMENTED) {
      // Not a transient failure: an oversized answer or no registration service at all.
      boolean current;
      synchronized (lock) {
        current = state.generation == generation;
        if (current) {
          store.reject(new Rejection(state.socket, null, reason, attempt, clock.instant(), false));
          rejected.increment();
        }
      }
      log.warn("Refused plugin at {}: {}", state.socket, reason);
      // A plugin whose answer was too big has a registration service that can hear why.
      if (current && code == Status.Code.RESOURCE_EXHAUSTED) {
        notifyPlugin(session, state.socket, false, reason);
      }
      return;
    }
    retryLater(state, generation, attempt, code, reason);
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
      // The scheduler measures the start time with its own clock, not with ours.
      state.retry =
          scheduler.schedule(
              () -> submit(state, generation),
              scheduler.getClock().instant().plus(Duration.ofMillis(delay)));
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
    return PluginValidator.clean(text);
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
        ScheduledFuture<?> retry = state.retry;
        if (retry != null) {
          retry.cancel(false);
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
    return PHASE;
  }
}
