package io.dranode.bench;

import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;

/**
 * What all benchmarks share: the options, the output folder and the event loops of the fake
 * plugins.
 */
record BenchContext(BenchOptions options, Path out, EventLoopGroup pluginLoops) {}
