package io.dranode.example;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shell control of the embedded default's example drivers: a file created in the control folder is
 * a command, carried out and then deleted. {@code stop-<driver>}, {@code start-<driver>}, {@code
 * unhealthy-<driver>-<device>}, {@code healthy-<driver>-<device>}.
 */
final class DriverControl implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DriverControl.class);

  private final Path folder;
  private final EmbeddedAgent embedded;
  private final WatchService watch;
  private final Thread thread;

  DriverControl(Path folder, EmbeddedAgent embedded) throws IOException {
    this.folder = folder;
    this.embedded = embedded;
    Files.createDirectories(folder);
    this.watch = FileSystems.getDefault().newWatchService();
    folder.register(watch, ENTRY_CREATE);
    this.thread = new Thread(this::run, "example-driver-control");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void run() {
    try {
      while (true) {
        WatchKey key = watch.take();
        for (WatchEvent<?> event : key.pollEvents()) {
          if (event.context() instanceof Path name) {
            handle(name.toString());
            Files.deleteIfExists(folder.resolve(name));
          }
        }
        key.reset();
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      log.debug("Control folder watch ended");
    } catch (IOException e) {
      log.warn("Control folder watch failed", e);
    }
  }

  void handle(String command) {
    try {
      if (command.startsWith("stop-")) {
        String driver = command.substring("stop-".length());
        embedded.stopDriver(driver);
        log.info("control: stopped example driver {}", driver);
      } else if (command.startsWith("start-")) {
        String driver = command.substring("start-".length());
        embedded.startDriver(driver);
        log.info("control: started example driver {}", driver);
      } else if (command.startsWith("unhealthy-") || command.startsWith("healthy-")) {
        boolean healthy = command.startsWith("healthy-");
        String rest = command.substring(command.indexOf('-') + 1);
        int split = rest.lastIndexOf("-dev-");
        ExampleDriver driver = split < 0 ? null : embedded.driver(rest.substring(0, split));
        if (driver == null) {
          log.warn("control: {} names no running example driver and device", command);
          return;
        }
        String device = rest.substring(split + 1);
        driver.setHealthy(device, healthy, healthy ? "back to normal" : "switched off by hand");
        log.info(
            "control: {} {} is now {}",
            rest.substring(0, split),
            device,
            healthy ? "healthy" : "unhealthy");
      } else {
        log.warn("control: unknown command file {}", command);
      }
    } catch (IOException | RuntimeException e) {
      log.warn("control: {} failed: {}", command, e.toString());
    }
  }

  @Override
  public void close() {
    try {
      watch.close();
    } catch (IOException e) {
      log.debug("Closing the control watch failed", e);
    }
  }
}
