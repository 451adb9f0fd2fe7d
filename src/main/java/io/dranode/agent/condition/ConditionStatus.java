package io.dranode.agent.condition;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A condition's status, written as Kubernetes writes it: {@code True}, {@code False}, {@code
 * Unknown}.
 */
public enum ConditionStatus {
  TRUE("True"),
  FALSE("False"),
  UNKNOWN("Unknown");

  private final String wireName;

  ConditionStatus(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }
}
