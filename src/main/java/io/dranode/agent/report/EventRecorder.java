package io.dranode.agent.report;

import io.dranode.agent.cleanup.NodeIdentity;
import io.dranode.agent.config.AgentProperties;
import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.input.Untrusted;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.stereotype.Component;

/**
 * Writes core/v1 Events about this node's Node, the way client-go's recorder and its newer series
 * do, without ever holding up the agent's work:
 *
 * <ul>
 *   <li>{@link #record} only queues; everything else runs on the one report thread.
 *   <li>A repeat of the same type, reason and message within {@link #SERIES_WINDOW} raises the
 *       existing Event's {@code count} instead of creating one; the new count goes out at most once
 *       per {@code dra.agent.events.coalesce}, in one merge patch.
 *   <li>New Events are budgeted per node: a burst of {@value #BUDGET_BURST}, then one every {@link
 *       #BUDGET_REFILL} (client-go's recorder's numbers).
 *   <li>A write that fails is dropped and counted, never retried; each reason's failure is logged
 *       once per {@link #SERIES_WINDOW}.
 * </ul>
 *
 * Messages are cleaned and bounded ({@value #MESSAGE_MAX_BYTES} bytes), so the API server never
 * sees an invalid Event whatever a plugin sent. Nothing is written once {@link #stop} ran.
 */
@Component
public class EventRecorder {

  /** Node Events live in this namespace (where kubectl looks for them). */
  public static final String NAMESPACE = "default";

  /** The reporting controller and source component of every Event. */
  public static final String COMPONENT = "dra-node-agent";

  static final Duration SERIES_WINDOW = Duration.ofMinutes(10);
  static final int BUDGET_BURST = 25;
  static final Duration BUDGET_REFILL = Duration.ofMinutes(5);
  static final int MESSAGE_MAX_BYTES = 1024;

  /** Series kept for deduplication; the oldest go first beyond this. */
  static final int SERIES_MAX = 4096;

  private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);

  /** Normal or Warning, as Kubernetes spells them. */
  public enum Type {
    NORMAL("Normal"),
    WARNING("Warning");

    private final String wireName;

    Type(String wireName) {
      this.wireName = wireName;
    }

    public String wireName() {
      return wireName;
    }
  }

  /** Why an Event was not written. */
  public enum Drop {
    /** The node's budget of new Events was spent. */
    BUDGET,
    /** The API server refused the write (403, 500, …) or did not answer in time. */
    FAILED;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private record Occurrence(Type type, String reason, String message, Instant at) {}

  private record Key(Type type, String reason, String message) {}

  /** One Event object and its repeats; touched only on the report thread. */
  private static final class Series {
    final Key key;
    final String name;
    final Instant first;
    Instant last;
    int count = 1;
    int written; // the count the API server has
    boolean creating = true;
    @Nullable Instant lastWrite;
    AgentScheduler.@Nullable Cancellable flush;

    Series(Key key, String name, Instant first) {
      this.key = key;
      this.name = name;
      this.first = first;
      this.last = first;
    }
  }

  private final KubernetesClient client;
  private final NodeIdentity node;
  private final AgentScheduler scheduler;
  private final Executor executor;
  private final Clock clock;
  private final Duration coalesce;
  private final Queue<Occurrence> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final Map<Key, Series> series = new LinkedHashMap<>(); // report thread only, oldest first
  private final Map<String, Instant> failureLogged = new HashMap<>(); // report thread only
  private final AtomicLong sequence = new AtomicLong();
  private final @Nullable MeterRegistry meters;
  private final Counter creates;
  private final Counter patches;
  private double tokens = BUDGET_BURST; // report thread only
  private @Nullable Instant refilledAt; // report thread only
  private volatile boolean open = true;

  public EventRecorder(
      KubernetesClient client,
      NodeIdentity node,
      AgentScheduler scheduler,
      @Qualifier("reportExecutor") Executor executor,
      Clock clock,
      AgentProperties properties,
      ObjectProvider<MeterRegistry> meters) {
    this.client = client;
    this.node = node;
    this.scheduler = scheduler;
    this.executor = executor;
    this.clock = clock;
    this.coalesce = properties.events().coalesce();
    this.meters = meters.getIfAvailable();
    this.creates = writes("create");
    this.patches = writes("patch");
  }

  private Counter writes(String operation) {
    Counter.Builder counter =
        Counter.builder("dra.agent.event.writes")
            .tag("operation", operation)
            .description("Kubernetes Event writes: create a new Event, patch a repeat's count");
    return meters == null ? counter.register(new SimpleMeterRegistry()) : counter.register(meters);
  }

  /** Queues an Event about this node; never blocks, never throws. */
  public void record(Type type, String reason, String message) {
    if (!open) {
      return;
    }
    queue.add(
        new Occurrence(
            type, reason, Untrusted.bounded(message, MESSAGE_MAX_BYTES), clock.instant()));
    drainSoon();
  }

  void start() {
    open = true;
  }

  /** From now on nothing is queued or written; scheduled count updates are dropped. */
  void stop() {
    open = false;
    queue.clear();
    run(
        () -> {
          series.values().forEach(s -> cancelFlush(s));
          series.clear();
        });
  }

  private void drainSoon() {
    if (draining.compareAndSet(false, true)) {
      run(this::drain);
    }
  }

  private void run(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      log.debug("Event work dropped: the agent is shutting down");
    }
  }

  /** On the report thread. */
  private void drain() {
    try {
      Occurrence next;
      while (open && (next = queue.poll()) != null) {
        occurred(next);
      }
    } finally {
      draining.set(false);
    }
    if (open && !queue.isEmpty()) {
      drainSoon();
    }
  }

  private void occurred(Occurrence o) {
    Key key = new Key(o.type(), o.reason(), o.message());
    Series known = series.get(key);
    if (known != null && Duration.between(known.last, o.at()).compareTo(SERIES_WINDOW) <= 0) {
      known.count++;
      known.last = o.at();
      scheduleFlush(known);
      return;
    }
    if (known != null) {
      cancelFlush(known);
    }
    if (!spendBudget(o.at())) {
      drop(o.reason(), Drop.BUDGET, "the node's budget of new Events is spent");
      return;
    }
    prune(o.at());
    Series fresh = new Series(key, eventName(o.at()), o.at());
    series.remove(key);
    series.put(key, fresh);
    create(fresh);
  }

  /** client-go's token bucket: a burst, then a steady refill. */
  private boolean spendBudget(Instant now) {
    Instant last = refilledAt;
    if (last != null) {
      double refill = (double) Duration.between(last, now).toMillis() / BUDGET_REFILL.toMillis();
      tokens = Math.min(BUDGET_BURST, tokens + Math.max(0, refill));
    }
    refilledAt = now;
    if (tokens < 1) {
      return false;
    }
    tokens--;
    return true;
  }

  /** Forgets series past their window, and the oldest beyond {@value #SERIES_MAX}. */
  private void prune(Instant now) {
    for (Iterator<Series> it = series.values().iterator(); it.hasNext(); ) {
      Series s = it.next();
      boolean expired = Duration.between(s.last, now).compareTo(SERIES_WINDOW) > 0;
      if (expired || series.size() > SERIES_MAX) {
        cancelFlush(s);
        it.remove();
      }
    }
  }

  private void create(Series s) {
    Event event =
        new EventBuilder()
            .withNewMetadata()
            .withName(s.name)
            .withNamespace(NAMESPACE)
            .endMetadata()
            .withNewInvolvedObject()
            .withApiVersion("v1")
            .withKind("Node")
            .withName(node.nodeName())
            .withUid(node.status().uid())
            .endInvolvedObject()
            .withType(s.key.type().wireName())
            .withReason(s.key.reason())
            .withMessage(s.key.message())
            .withCount(s.count)
            .withFirstTimestamp(time(s.first))
            .withLastTimestamp(time(s.last))
            .withNewSource()
            .withComponent(COMPONENT)
            .withHost(node.nodeName())
            .endSource()
            .withReportingComponent(COMPONENT)
            .withReportingInstance(node.nodeName())
            .build();
    int count = s.count;
    try {
      client.v1().events().inNamespace(NAMESPACE).resource(event).create();
      creates.increment();
      s.creating = false;
      s.written = count;
      s.lastWrite = clock.instant();
      if (s.count > s.written) {
        scheduleFlush(s); // repeats arrived while it was being created
      }
    } catch (RuntimeException e) {
      series.remove(s.key);
      drop(s.key.reason(), Drop.FAILED, describe(e));
    }
  }

  /** The new count goes out once {@code coalesce} has passed since the last write. */
  private void scheduleFlush(Series s) {
    if (s.flush != null || s.creating || !open) {
      return;
    }
    Instant last = s.lastWrite == null ? clock.instant() : s.lastWrite;
    Instant at = last.plus(coalesce);
    s.flush = scheduler.schedule(() -> run(() -> flush(s)), at);
  }

  private void cancelFlush(Series s) {
    AgentScheduler.Cancellable flush = s.flush;
    if (flush != null) {
      flush.cancel();
      s.flush = null;
    }
  }

  /** On the report thread. */
  private void flush(Series s) {
    s.flush = null;
    if (!open || series.get(s.key) != s || s.count == s.written) {
      return;
    }
    int count = s.count;
    String patch = "{\"count\":" + count + ",\"lastTimestamp\":\"" + time(s.last) + "\"}";
    try {
      client
          .v1()
          .events()
          .inNamespace(NAMESPACE)
          .withName(s.name)
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
      patches.increment();
      s.written = count;
      s.lastWrite = clock.instant();
      if (s.count > s.written) {
        scheduleFlush(s);
      }
    } catch (RuntimeException e) {
      // Gone (expired) or refused: the next repeat starts a new Event.
      series.remove(s.key);
      drop(s.key.reason(), Drop.FAILED, describe(e));
    }
  }

  private void drop(String reason, Drop why, String detail) {
    Counter.Builder counter =
        Counter.builder("dra.agent.events.dropped")
            .tag("reason", reason)
            .tag("cause", why.wireName())
            .description(
                "Kubernetes Events not written: over the node's budget, or refused or"
                    + " unanswered by the API server");
    (meters == null ? counter.register(new SimpleMeterRegistry()) : counter.register(meters))
        .increment();
    Instant now = clock.instant();
    Instant logged = failureLogged.get(reason);
    if (logged == null || Duration.between(logged, now).compareTo(SERIES_WINDOW) > 0) {
      failureLogged.put(reason, now);
      log.warn("Event {} not written ({}): {}", reason, why.wireName(), detail);
    }
  }

  /** Unique among this agent's Events, a DNS subdomain of at most 253 characters. */
  private String eventName(Instant at) {
    String suffix =
        Long.toHexString(at.getEpochSecond() * 1_000_000_000L + at.getNano())
            + Long.toHexString(sequence.incrementAndGet());
    String prefix = node.nodeName();
    int room = 253 - suffix.length() - 1;
    if (prefix.length() > room) {
      prefix = prefix.substring(0, room);
      while (prefix.endsWith(".") || prefix.endsWith("-")) {
        prefix = prefix.substring(0, prefix.length() - 1);
      }
    }
    return prefix + "." + suffix;
  }

  private static String time(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static String describe(RuntimeException e) {
    if (e instanceof KubernetesClientException k && k.getCode() > 0) {
      return "HTTP "
          + k.getCode()
          + (k.getStatus() == null ? "" : ": " + k.getStatus().getMessage());
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName()
        + (root.getMessage() == null ? "" : ": " + root.getMessage());
  }
}
