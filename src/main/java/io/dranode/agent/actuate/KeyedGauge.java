package io.dranode.agent.actuate;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * One gauge with one series per key (a driver name in the tag {@code driver}): a series is shown
 * while its key has something to count and removed when it has not, so that a scrape never lists
 * keys that are gone. Shown and hidden by one listener at a time; read by scrapes on any thread.
 */
final class KeyedGauge {

  private final String name;
  private final String description;
  private final ToDoubleFunction<String> value;
  private final Map<String, Meter> series = new ConcurrentHashMap<>();
  private volatile @Nullable MeterRegistry registry;

  /**
   * @param value the series' value for a key, read at every scrape
   */
  KeyedGauge(String name, String description, ToDoubleFunction<String> value) {
    this.name = name;
    this.description = description;
    this.value = value;
  }

  /** From now on series go to this registry; the keys shown so far are added to it. */
  void bindTo(MeterRegistry registry, Iterable<String> keys) {
    this.registry = registry;
    keys.forEach(this::show);
  }

  void show(String key) {
    MeterRegistry current = registry;
    if (current != null) {
      series.computeIfAbsent(
          key,
          k ->
              Gauge.builder(name, value, v -> v.applyAsDouble(k))
                  .tag("driver", k)
                  .description(description)
                  .strongReference(true)
                  .register(current));
    }
  }

  void hide(String key) {
    Meter meter = series.remove(key);
    MeterRegistry current = registry;
    if (meter != null && current != null) {
      current.remove(meter);
    }
  }
}
