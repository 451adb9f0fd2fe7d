package io.dranode.agent.web;

import io.dranode.agent.event.AgentEvent;
import io.dranode.agent.event.EventFeed;
import io.dranode.agent.event.EventSink;
import io.dranode.agent.event.EventStreams;
import io.dranode.agent.view.Views;
import java.io.IOException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code GET /api/v1/events}: Server-Sent Events of every agent event from the moment of the call,
 * one {@link EventFeed} per client (publishers never wait for a client).
 */
@RestController
@RequestMapping("/api/v1")
class EventsController {

  static final Duration STREAM_TIMEOUT = Duration.ofHours(1);

  /** The SSE comment that opens every stream (clients ignore comments). */
  static final String OPENED = "stream open";

  private final EventStreams streams;

  EventsController(EventStreams streams) {
    this.streams = streams;
  }

  @GetMapping(path = "/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  SseEmitter events() {
    SseEmitter emitter = new SseEmitter(STREAM_TIMEOUT.toMillis());
    try {
      // Spring sends the status and headers with the first write: without this comment a client
      // of a quiet agent would wait, possibly for minutes, without knowing it is connected.
      emitter.send(SseEmitter.event().comment(OPENED));
    } catch (IOException e) {
      emitter.completeWithError(e);
      return emitter;
    }
    EventFeed feed = streams.open(new Sink(emitter));
    emitter.onCompletion(feed::abandon);
    emitter.onTimeout(feed::abandon);
    emitter.onError(e -> feed.abandon());
    return emitter;
  }

  /** One SSE response: {@code event:} is the type, {@code data:} the event's JSON. */
  private record Sink(SseEmitter emitter) implements EventSink {
    @Override
    public boolean ready() {
      return true;
    }

    @Override
    public void send(AgentEvent event) throws IOException {
      emitter.send(
          SseEmitter.event()
              .name(event.type().wireName())
              .data(Views.Event.of(event), MediaType.APPLICATION_JSON));
    }

    @Override
    public void end(@Nullable Problem problem) {
      emitter.complete();
    }
  }
}
