package io.dranode.agent.registration;

import org.jspecify.annotations.Nullable;

/** What the validator makes of a plugin's answer to {@code GetInfo}. */
sealed interface Decision {

  /** A valid DRA plugin. */
  record Accept(String driver, String endpoint, String service, @Nullable String healthService)
      implements Decision {}

  /** Invalid input: refused until the socket is re-created. */
  record Refuse(@Nullable String driver, String reason) implements Decision {}

  /** A plugin of another type (CSI, device plugin): not ours. */
  record NotOurs(String type, String name) implements Decision {}
}
