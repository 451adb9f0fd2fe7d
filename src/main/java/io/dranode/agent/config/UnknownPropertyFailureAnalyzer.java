package io.dranode.agent.config;

import io.dranode.agent.config.UnknownPropertiesCheck.UnknownPropertyException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns an unknown {@code dra.agent} property into a start-up message that says what to change. */
public final class UnknownPropertyFailureAnalyzer
    extends AbstractFailureAnalyzer<UnknownPropertyException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, UnknownPropertyException cause) {
    return new FailureAnalysis(
        "The agent does not know these properties, so it would run without them:\n  "
            + String.join("\n  ", cause.problems()),
        "Correct or remove them. The properties are listed in the README (Configuration);"
            + " an environment variable is the property in upper case with '_' for '.' and '-'.",
        cause);
  }
}
