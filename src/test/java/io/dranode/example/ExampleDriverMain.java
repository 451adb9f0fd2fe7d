package io.dranode.example;

import ch.qos.logback.classic.Level;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The standalone driver process: parse, start, wait for SIGTERM, stop cleanly. */
final class ExampleDriverMain {

  private static final Logger log = LoggerFactory.getLogger(ExampleDriverMain.class);

  private ExampleDriverMain() {}

  static void run(String[] args) throws Exception {
    quietLibraries();
    ExampleDriver driver;
    KubernetesClient client = null;
    try {
      ExampleDriverArgs parsed = ExampleDriverArgs.parse(args);
      if (parsed.apiServer() != null) {
        Config config =
            new ConfigBuilder(Config.autoConfigure(null)).withMasterUrl(parsed.apiServer()).build();
        client = new KubernetesClientBuilder().withConfig(config).build();
      }
      driver = new ExampleDriver(parsed.toConfig(client));
    } catch (IllegalArgumentException e) {
      if (client != null) {
        client.close();
      }
      System.err.println("example-driver: " + e.getMessage());
      System.err.println(ExampleDriverArgs.USAGE);
      System.exit(2);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    KubernetesClient clientToClose = client;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  driver.close();
                  if (clientToClose != null) {
                    clientToClose.close();
                  }
                  stopped.countDown();
                },
                "example-driver-shutdown"));
    driver.start();
    log.info("{}: running until SIGTERM", driver.config().driverName());
    stopped.await();
  }

  /**
   * Outside Spring Boot, Logback's default configuration logs everything at DEBUG; the driver's own
   * INFO lines are what a person running it wants to see.
   */
  private static void quietLibraries() {
    if (LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)
        instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(Level.INFO);
    }
  }
}
