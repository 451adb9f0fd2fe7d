package io.dranode.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What one run measured: a summary per measure key, and notes for the details section. */
final class RunRecord {

  final int run;
  final Map<String, Samples.Summary> summaries = new LinkedHashMap<>();
  final List<String> notes = new ArrayList<>();

  RunRecord(int run) {
    this.run = run;
  }

  void put(String key, Samples.Summary summary) {
    summaries.put(key, summary);
  }

  void put(String key, Samples samples) {
    summaries.put(key, samples.summary());
  }

  void note(String text) {
    notes.add(text);
    System.out.println("    " + text);
  }
}
