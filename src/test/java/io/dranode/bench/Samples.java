package io.dranode.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Latency samples of one run, in milliseconds; percentiles by the nearest-rank method. */
final class Samples {

  private final List<Double> values = new ArrayList<>();

  synchronized void add(double millis) {
    values.add(millis);
  }

  synchronized void addNanos(long nanos) {
    values.add(nanos / 1e6);
  }

  synchronized int size() {
    return values.size();
  }

  synchronized Summary summary() {
    if (values.isEmpty()) {
      return new Summary(Double.NaN, Double.NaN, Double.NaN, 0);
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return new Summary(
        rank(sorted, 50), rank(sorted, 99), sorted.get(sorted.size() - 1), sorted.size());
  }

  private static double rank(List<Double> sorted, int percentile) {
    int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  /**
   * One run's distribution. A single value (a throughput, a duration) has p50 = p99 = max and
   * {@code n = 1}.
   */
  record Summary(double p50, double p99, double max, int n) {
    static Summary of(double value) {
      return new Summary(value, value, value, 1);
    }

    boolean single() {
      return n == 1 && p50 == p99 && p99 == max;
    }
  }

  /** The median of each statistic over the runs. */
  static Summary medianOf(List<Summary> runs) {
    return new Summary(
        median(runs.stream().mapToDouble(Summary::p50).toArray()),
        median(runs.stream().mapToDouble(Summary::p99).toArray()),
        median(runs.stream().mapToDouble(Summary::max).toArray()),
        (int) Math.round(median(runs.stream().mapToDouble(Summary::n).toArray())));
  }

  static double median(double[] values) {
    double[] copy = values.clone();
    java.util.Arrays.sort(copy);
    int n = copy.length;
    return n % 2 == 1 ? copy[n / 2] : (copy[n / 2 - 1] + copy[n / 2]) / 2;
  }
}
