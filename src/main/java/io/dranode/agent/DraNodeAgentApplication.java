package io.dranode.agent;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Entry point of the per-node DRA plugin agent. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class DraNodeAgentApplication {

  public static void main(String[] args) {
    SpringApplication.run(DraNodeAgentApplication.class, args);
  }
}
