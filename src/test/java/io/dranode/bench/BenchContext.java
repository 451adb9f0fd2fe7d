package io.dranode.bench;

import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;

/**
 * What all benchmarks share: the options, the output folder, the event loops of the fake plugins;
 * and the agent under test.
 */
record BenchContext(BenchOptions options, Path out, EventLoopGroup pluginLoops, Variant variant) {

  BenchContext with(Variant other) {
    return new BenchContext(options, out, pluginLoops, other);
  }

  /** A file name for a run: the label, and the variant's name when there are several. */
  String label(String label) {
    return variant.name().isEmpty() ? label : label + "-" + variant.name();
  }
}
