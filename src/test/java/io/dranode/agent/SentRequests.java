package io.dranode.agent;

import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The agent's side of its conversation with the API server: every request its Kubernetes client
 * sends, recorded when the client sends it (not when the mock gets round to it), with the thread
 * that sent it, and tagged with a header {@value #HEADER} numbering it, so that the mock's record
 * can be told apart: sent before a moment, or after.
 */
final class SentRequests implements Interceptor {

  static final String HEADER = "X-Agent-Request";

  private final AtomicInteger numbers = new AtomicInteger();
  private final List<String> sent = new CopyOnWriteArrayList<>();

  @Override
  public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    int number = numbers.incrementAndGet();
    builder.setHeader(HEADER, Integer.toString(number));
    sent.add(
        "#"
            + number
            + " "
            + request.method()
            + " "
            + request.uri().getRawPath()
            + (request.uri().getRawQuery() == null ? "" : "?" + request.uri().getRawQuery())
            + " from thread "
            + Thread.currentThread().getName());
  }

  /** "#number METHOD path from thread name" of every request sent so far, in order. */
  List<String> requests() {
    return List.copyOf(sent);
  }

  /** How many requests were sent so far; the numbers run from 1 to this. */
  int count() {
    return numbers.get();
  }
}
