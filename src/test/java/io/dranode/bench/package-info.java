/**
 * Benchmarks of the packaged agent running as its own process: the harness hosts the in-memory
 * Kubernetes API and the fake plugins, drives the agent through real files and sockets, and writes
 * the results that docs/BENCHMARKS.md reports. Run with {@code ./mvnw -B -Pbench -DskipTests
 * verify}; never part of the test run.
 */
@NullMarked
package io.dranode.bench;

import org.jspecify.annotations.NullMarked;
