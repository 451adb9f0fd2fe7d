package io.dranode.agent.web;

import io.dranode.agent.view.Views.Plugins;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.MediaType;
import org.springframework.http.converter.AbstractHttpMessageConverter;
import org.springframework.http.converter.HttpMessageNotReadableException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes the body of {@code GET /api/v1/plugins}, serializing it only when it differs from the one
 * written last.
 *
 * <p>The response is rebuilt from the store on every request, and compared by value (records all
 * the way down) with the last one written: equal means the same JSON, so its bytes are reused;
 * anything else is serialized afresh and becomes the new last one. The check is on the response
 * itself, not on a version counter, so a change of any input (store, pending wipe, device health,
 * rejections, ignored sockets) shows in the very next GET, and nothing has to tell this cache that
 * something changed. It saves Jackson's work and its garbage on a view that rarely changes between
 * two requests. The JSON mapper is the context's, so the bytes are the ones Spring's JSON converter
 * would write.
 */
final class PluginsJsonConverter extends AbstractHttpMessageConverter<Plugins> {

  private final JsonMapper mapper;
  private volatile @Nullable Written last;

  PluginsJsonConverter(JsonMapper mapper) {
    super(MediaType.APPLICATION_JSON);
    this.mapper = mapper;
  }

  /** A response and its JSON; never mutated once built. */
  private static final class Written {
    final Plugins response;
    final byte[] json;

    Written(Plugins response, byte[] json) {
      this.response = response;
      this.json = json;
    }
  }

  @Override
  protected boolean supports(Class<?> clazz) {
    return Plugins.class == clazz;
  }

  @Override
  public boolean canRead(Class<?> clazz, @Nullable MediaType mediaType) {
    return false;
  }

  @Override
  protected Plugins readInternal(Class<? extends Plugins> clazz, HttpInputMessage input) {
    throw new HttpMessageNotReadableException("the plugins view is never read", input);
  }

  @Override
  protected Long getContentLength(Plugins response, @Nullable MediaType contentType) {
    return (long) json(response).length;
  }

  @Override
  protected void writeInternal(Plugins response, HttpOutputMessage output) throws IOException {
    output.getBody().write(json(response));
  }

  /** The JSON of a response: the last one's bytes when equal to it, else serialized now. */
  byte[] json(Plugins response) {
    Written cached = last;
    if (cached != null && cached.response.equals(response)) {
      return cached.json;
    }
    Written fresh = new Written(response, mapper.writeValueAsBytes(response));
    last = fresh;
    return fresh.json;
  }
}
