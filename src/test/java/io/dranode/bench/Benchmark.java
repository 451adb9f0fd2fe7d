package io.dranode.bench;

import java.util.List;

/** One benchmark of the list: its rows, and how one run measures them. */
interface Benchmark {

  /** The id used by {@code -Dbench.only}. */
  String id();

  /** The rows it reports, in table order. */
  List<Measure> measures();

  /** How many runs; the options' count unless a benchmark says otherwise. */
  default int runs(BenchOptions options) {
    return options.runs();
  }

  /** Measures once, on a fresh agent (or several), and records into {@code out}. */
  void run(BenchContext context, RunRecord out) throws Exception;
}
