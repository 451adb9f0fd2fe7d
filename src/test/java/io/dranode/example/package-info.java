/**
 * A small DRA driver in Java, speaking the kubelet's wire protocols over Unix sockets exactly as a
 * driver built with the upstream kubelet-plugin helper does; test scope only, shared by the tests,
 * the embedded demo and the benchmarks. Its servers and services are the fake-plugin parts of
 * {@code io.dranode.agent.testing}.
 */
@NullMarked
package io.dranode.example;

import org.jspecify.annotations.NullMarked;
