package io.dranode.bench;

import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * One row of the results table.
 *
 * @param key how a benchmark reports it
 * @param title what is measured
 * @param target the target, in words; "—" when the row only informs
 * @param unit of the numbers
 * @param met decides "met?" from the median of the runs; null when there is no target
 */
record Measure(
    String key,
    String title,
    String target,
    String unit,
    @Nullable Predicate<Samples.Summary> met) {

  static Measure of(
      String key, String title, String target, String unit, Predicate<Samples.Summary> met) {
    return new Measure(key, title, target, unit, met);
  }

  static Measure info(String key, String title, String unit) {
    return new Measure(key, title, "—", unit, null);
  }
}
