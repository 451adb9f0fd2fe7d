package io.dranode.agent.config;

/** The agent's version, as every API reports it. */
public final class AgentVersion {

  /** Shown when the agent does not run from its jar (tests, an IDE). */
  static final String DEVELOPMENT = "development";

  private AgentVersion() {}

  /** The jar's {@code Implementation-Version}, or {@value #DEVELOPMENT}. */
  public static String current() {
    String version = AgentVersion.class.getPackage().getImplementationVersion();
    return version == null || version.isBlank() ? DEVELOPMENT : version;
  }
}
