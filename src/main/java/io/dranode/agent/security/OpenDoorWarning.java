package io.dranode.agent.security;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;
import org.springframework.stereotype.Component;

/**
 * In {@code none} mode, one warning line at start-up when a port listens beyond loopback: anyone
 * who can reach it reads the node's plugins, sockets and devices, without a token and in plain
 * text.
 */
@Component
@ConditionalOnProperty(
    prefix = "dra.agent.security",
    name = "mode",
    havingValue = "none",
    matchIfMissing = true)
class OpenDoorWarning {

  private static final Logger log = LoggerFactory.getLogger(OpenDoorWarning.class);

  private final Environment environment;
  private final List<String> open = new CopyOnWriteArrayList<>();

  OpenDoorWarning(Environment environment) {
    this.environment = environment;
  }

  @EventListener
  void webServerStarted(WebServerInitializedEvent event) {
    boolean management = "management".equals(event.getApplicationContext().getServerNamespace());
    if (beyondLoopback(management ? "management.server.address" : "server.address")) {
      open.add((management ? "management" : "HTTP") + " port " + event.getWebServer().getPort());
    }
  }

  @EventListener
  void grpcServerStarted(GrpcServerStartedEvent event) {
    boolean socket =
        "domain-socket"
            .equalsIgnoreCase(environment.getProperty("spring.grpc.server.netty.transport", ""));
    if (!socket && event.getPort() >= 0 && beyondLoopback("spring.grpc.server.address")) {
      open.add("gRPC port " + event.getPort());
    }
  }

  @EventListener(ApplicationReadyEvent.class)
  void warnIfOpen() {
    if (!open.isEmpty()) {
      log.warn(
          "dra.agent.security.mode=none, and the {} listen beyond loopback: anyone who reaches"
              + " them reads this node's plugins and devices without a token, in plain text. Use"
              + " dra.agent.security.mode=kubernetes (the Helm chart's default), or bind them to"
              + " 127.0.0.1",
          String.join(", ", open));
    }
  }

  /** The ports found open so far (for tests). */
  List<String> open() {
    return List.copyOf(open);
  }

  private boolean beyondLoopback(String property) {
    InetAddress address = environment.getProperty(property, InetAddress.class);
    return address == null || !address.isLoopbackAddress();
  }
}
