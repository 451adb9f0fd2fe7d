package io.dranode.agent.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.request;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.dranode.agent.plugin.ConnectionState;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.ResultActions;

/**
 * Every error of the REST API is an RFC 9457 problem ({@code application/problem+json} with {@code
 * type}, {@code title}, {@code status} and {@code detail}), and no request changes anything.
 */
class ApiProblemsTest extends ApiSliceTestSupport {

  private static final List<String> ENDPOINTS =
      List.of(
          "/api/v1/plugins",
          "/api/v1/plugins/gpu.example.com",
          "/api/v1/cleanups",
          "/api/v1/resourceslices",
          "/api/v1/devices/health",
          "/api/v1/events");

  /**
   * The problem fields every error carries. Spring leaves {@code type} out when it is {@code
   * about:blank}, which RFC 9457 (section 3.1.1) defines as the meaning of an absent type.
   */
  private static ResultActions problem(ResultActions response, int status, String title)
      throws Exception {
    return response
        .andExpect(status().is(status))
        .andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
        .andExpect(jsonPath("$.type").doesNotExist())
        .andExpect(jsonPath("$.title").value(title))
        .andExpect(jsonPath("$.status").value(status))
        .andExpect(jsonPath("$.detail").isString())
        .andExpect(content().string(not(containsString("Exception"))))
        .andExpect(content().string(not(containsString("\tat "))));
  }

  @Test
  void anInvalidDriverNameIs400() throws Exception {
    problem(mvc.perform(get("/api/v1/plugins/Bad_Name")), 400, "Bad Request")
        .andExpect(
            jsonPath("$.detail")
                .value(
                    "'Bad_Name' is not a valid DRA driver name (a lower-case DNS subdomain of at"
                        + " most 63 characters)"))
        .andExpect(jsonPath("$.instance").value("/api/v1/plugins/Bad_Name"));
  }

  @Test
  void aDriverNameTooLongIs400AndIsNotEchoedInFull() throws Exception {
    String name = "a".repeat(200);
    String body =
        problem(mvc.perform(get("/api/v1/plugins/{driver}", name)), 400, "Bad Request")
            .andReturn()
            .getResponse()
            .getContentAsString();
    assertThat(body).contains("a".repeat(70) + "…'").doesNotContain("a".repeat(71) + "…");
  }

  @Test
  void anUnknownDriverIs404() throws Exception {
    problem(mvc.perform(get("/api/v1/plugins/nope.example.com")), 404, "Not Found")
        .andExpect(
            jsonPath("$.detail").value("no DRA driver nope.example.com is registered on this node"))
        .andExpect(jsonPath("$.instance").value("/api/v1/plugins/nope.example.com"));
  }

  @ParameterizedTest
  @MethodSource("unknownPaths")
  void anUnknownPathIs404(String path) throws Exception {
    problem(mvc.perform(get(path).accept(MediaType.APPLICATION_JSON)), 404, "Not Found")
        .andExpect(jsonPath("$.instance").value(path));
  }

  static Stream<String> unknownPaths() {
    return Stream.of("/api/v1/nothing", "/api/v2/plugins", "/", "/api/v1/devices");
  }

  /** Every method that could change something, on every endpoint: 405, Allow: GET, no change. */
  @ParameterizedTest
  @MethodSource("mutations")
  void aMutatingMethodIs405WithAllowAndChangesNothing(String method, String path) throws Exception {
    store.register(
        "gpu.example.com",
        "/var/lib/kubelet/plugins/gpu.example.com/dra.sock",
        Path.of("/var/lib/kubelet/plugins_registry/gpu.sock"),
        "v1.DRAPlugin",
        null);
    store.setConnection(
        "gpu.example.com",
        "/var/lib/kubelet/plugins/gpu.example.com/dra.sock",
        ConnectionState.CONNECTED);
    var before = store.drivers();

    problem(
            mvc.perform(
                request(HttpMethod.valueOf(method), path)
                    .contentType(MediaType.APPLICATION_JSON)
                    .content("{\"driver\":\"gpu.example.com\"}")),
            405,
            "Method Not Allowed")
        .andExpect(jsonPath("$.detail").value("Method '" + method + "' is not supported."))
        .andExpect(header().string("Allow", "GET"));

    assertThat(store.drivers()).isEqualTo(before);
    verify(wipes, never()).cancel(anyString(), anyString());
    verify(wipes, never()).request(anyString(), any(), anyString(), any());
  }

  static Stream<org.junit.jupiter.params.provider.Arguments> mutations() {
    return Stream.of("POST", "PUT", "PATCH", "DELETE")
        .flatMap(
            m -> ENDPOINTS.stream().map(p -> org.junit.jupiter.params.provider.Arguments.of(m, p)));
  }

  @Test
  void anUnsupportedAcceptIs406() throws Exception {
    problem(
            mvc.perform(get("/api/v1/plugins").accept(MediaType.APPLICATION_XML)),
            406,
            "Not Acceptable")
        .andExpect(jsonPath("$.instance").value("/api/v1/plugins"));
  }

  @Test
  void jsonFromTheEventStreamIs406() throws Exception {
    problem(
        mvc.perform(get("/api/v1/events").accept(MediaType.APPLICATION_JSON)),
        406,
        "Not Acceptable");
  }

  @Test
  void anUnexpectedFailureIs500WithoutItsMessageOrStackTrace() throws Exception {
    when(inventory.byDriver()).thenThrow(new IllegalStateException("secret internals"));

    problem(mvc.perform(get("/api/v1/resourceslices")), 500, "Internal Server Error")
        .andExpect(jsonPath("$.detail").value("internal error; see the agent's log"))
        .andExpect(content().string(not(containsString("secret internals"))));
  }
}
