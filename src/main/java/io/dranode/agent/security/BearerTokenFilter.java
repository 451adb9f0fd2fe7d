package io.dranode.agent.security;

import io.dranode.agent.input.Untrusted;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every HTTP request but the probes needs a bearer token whose user may {@code get} the request's
 * path (a non-resource URL). Refusals are RFC 9457 problems; none repeats the token. A request
 * whose answers are cached goes on at once; one that needs a review is suspended (servlet async)
 * and resumed when the review answers, so no container thread waits for the API server.
 */
final class BearerTokenFilter implements Filter {

  private static final Logger log = LoggerFactory.getLogger(BearerTokenFilter.class);

  /** The decision of a suspended request, for its resumed (ASYNC) dispatch. */
  static final String DECISION = BearerTokenFilter.class.getName() + ".decision";

  /** Set on a request once it is allowed, for the application's own async dispatches. */
  static final String ALLOWED = BearerTokenFilter.class.getName() + ".allowed";

  static final String REALM = "Bearer realm=\"dra-node-agent\"";

  private final AccessReviews reviews;
  private final JsonMapper json;
  private final long suspendMillis;

  /**
   * @param wait the review timeout; a suspended request is answered 503 by then (the container's
   *     own timeout, a little later, is the backstop)
   */
  BearerTokenFilter(AccessReviews reviews, JsonMapper json, Duration wait) {
    this.reviews = reviews;
    this.json = json;
    this.suspendMillis = wait.plusSeconds(1).toMillis();
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest request = (HttpServletRequest) req;
    HttpServletResponse response = (HttpServletResponse) res;
    if (request.getDispatcherType() == DispatcherType.ASYNC) {
      Object decided = request.getAttribute(DECISION);
      if (decided instanceof Decision decision) {
        request.removeAttribute(DECISION);
        answer(decision, request, response, chain);
      } else if (request.getAttribute(ALLOWED) != null
          || Probes.HTTP_PATHS.contains(path(request))) {
        chain.doFilter(request, response); // the application's own async (SSE), allowed before
      } else {
        problem(response, request, BearerTokens.refusal(null)); // fail closed
      }
      return;
    }
    String path = path(request);
    if (Probes.HTTP_PATHS.contains(path)) {
      chain.doFilter(request, response);
      return;
    }
    String header = request.getHeader("Authorization");
    String token = BearerTokens.token(header).orElse(null);
    if (token == null) {
      answer(BearerTokens.refusal(header), request, response, chain);
      return;
    }
    CompletableFuture<Decision> decision = reviews.check(token, path, verb(request.getMethod()));
    if (decision.isDone()) {
      answer(decision.join(), request, response, chain);
      return;
    }
    suspend(decision, request, response);
  }

  /** Resumes the request in a container thread once the decision is known. */
  private void suspend(
      CompletableFuture<Decision> decision,
      HttpServletRequest request,
      HttpServletResponse response) {
    AsyncContext async = request.startAsync(request, response);
    async.setTimeout(suspendMillis);
    AtomicBoolean settled = new AtomicBoolean();
    async.addListener(
        new AsyncListener() {
          @Override
          public void onTimeout(AsyncEvent event) throws IOException {
            if (settled.compareAndSet(false, true)) {
              problem(
                  response,
                  request,
                  new Decision.Unavailable(
                      "the agent could not check the bearer token in time", false));
              async.complete();
            }
          }

          @Override
          public void onComplete(AsyncEvent event) {}

          @Override
          public void onError(AsyncEvent event) {
            settled.set(true);
          }

          @Override
          public void onStartAsync(AsyncEvent event) {}
        });
    var unused =
        decision.whenComplete(
            (answer, failure) -> {
              if (settled.compareAndSet(false, true)) {
                request.setAttribute(
                    DECISION,
                    answer != null
                        ? answer
                        : new Decision.Unavailable(
                            "the agent could not check the bearer token", false));
                async.dispatch(); // the container defers it until this dispatch has returned
              }
            });
  }

  private void answer(
      Decision decision,
      HttpServletRequest request,
      HttpServletResponse response,
      FilterChain chain)
      throws IOException, ServletException {
    if (decision instanceof Decision.Allowed allowed) {
      request.setAttribute(ALLOWED, allowed.user().name());
      chain.doFilter(request, response);
    } else {
      problem(response, request, decision);
    }
  }

  private void problem(HttpServletResponse response, HttpServletRequest request, Decision decision)
      throws IOException {
    int status;
    String title;
    String detail;
    if (decision instanceof Decision.Unauthenticated refused) {
      status = HttpServletResponse.SC_UNAUTHORIZED;
      title = "Unauthorized";
      detail = refused.detail();
      response.setHeader(
          "WWW-Authenticate",
          refused.tokenPresented() ? REALM + ", error=\"invalid_token\"" : REALM);
    } else if (decision instanceof Decision.Forbidden forbidden) {
      status = HttpServletResponse.SC_FORBIDDEN;
      title = "Forbidden";
      detail = forbiddenDetail(forbidden);
    } else if (decision instanceof Decision.Unavailable unavailable) {
      status = HttpServletResponse.SC_SERVICE_UNAVAILABLE;
      title = "Service Unavailable";
      detail = unavailable.detail();
      response.setHeader("Retry-After", unavailable.busy() ? "1" : "5");
    } else {
      throw new IllegalArgumentException("not a refusal: " + decision);
    }
    if (response.isCommitted()) {
      log.debug("Cannot refuse {}: the response is committed", path(request));
      return;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("detail", detail);
    body.put("instance", path(request));
    body.put("status", status);
    body.put("title", title);
    byte[] bytes = json.writeValueAsBytes(body);
    response.setStatus(status);
    response.setContentType("application/problem+json");
    response.setCharacterEncoding(StandardCharsets.UTF_8.name());
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
  }

  /** Words shared with the gRPC side. */
  static String forbiddenDetail(Decision.Forbidden forbidden) {
    return "user "
        + Untrusted.quote(forbidden.user().name())
        + " may not "
        + forbidden.verb()
        + " "
        + Untrusted.quote(forbidden.path())
        + " (SubjectAccessReview): bind it to a ClusterRole with this nonResourceURL, e.g. the"
        + " chart's <release>-reader";
  }

  /**
   * The path the application serves, decoded and normalised by the container (so {@code /api/v1/
   * ../../actuator/prometheus} is checked as what it reaches).
   */
  static String path(HttpServletRequest request) {
    String pathInfo = request.getPathInfo();
    return request.getContextPath() + request.getServletPath() + (pathInfo == null ? "" : pathInfo);
  }

  /** The API server's verbs of non-resource requests: GET and HEAD are {@code get}. */
  static String verb(String method) {
    return method.equals("GET") || method.equals("HEAD") ? "get" : method.toLowerCase(Locale.ROOT);
  }
}
