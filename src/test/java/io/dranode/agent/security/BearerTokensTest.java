package io.dranode.agent.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class BearerTokensTest {

  @ParameterizedTest(name = "[{0}] -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Bearer abc.def-ghi_~+/=     | abc.def-ghi_~+/=",
        "bearer abc                  | abc",
        "BEARER abc                  | abc",
        "'Bearer   abc  '            | abc",
      })
  void aBearerTokenIsTaken(String header, String token) {
    assertThat(BearerTokens.token(header)).contains(token);
  }

  @ParameterizedTest(name = "[{0}]")
  @NullSource
  @ValueSource(
      strings = {
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearerabc",
        "Bearer a b",
        "Bearer a\u0001"
      })
  void anythingElseIsNoToken(@Nullable String header) {
    assertThat(BearerTokens.token(header)).isEmpty();
  }

  @ParameterizedTest(name = "[{0}]")
  @NullSource
  @ValueSource(strings = {"", "  "})
  void noHeaderIsAMissingToken(@Nullable String header) {
    assertThat(BearerTokens.refusal(header))
        .isEqualTo(new Decision.Unauthenticated(BearerTokens.MISSING, false));
  }

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"Basic dXNlcjpwYXNz", "Bearer a b"})
  void aHeaderWithoutABearerTokenIsMalformed(String header) {
    assertThat(BearerTokens.refusal(header))
        .isEqualTo(new Decision.Unauthenticated(BearerTokens.MALFORMED, true));
  }

  @org.junit.jupiter.api.Test
  void aTokenLongerThanAnyTheApiServerIssuesIsNotReviewed() {
    assertThat(BearerTokens.token("Bearer " + "a".repeat(BearerTokens.MAX_LENGTH))).isPresent();
    assertThat(BearerTokens.token("Bearer " + "a".repeat(BearerTokens.MAX_LENGTH + 1))).isEmpty();
  }
}
