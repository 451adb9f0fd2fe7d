package io.dranode.agent.security;

import io.dranode.agent.config.AgentScheduler;
import io.dranode.agent.config.Phases;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/** Checks the TLS files every {@code dra.agent.security.tls.reload-interval}, on the scheduler. */
final class CertificateReloader implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(CertificateReloader.class);

  private final AgentCertificates certificates;
  private final AgentScheduler scheduler;
  private final Duration interval;
  private final Object lock = new Object();
  private boolean running; // guarded by lock
  private AgentScheduler.@Nullable Cancellable next; // guarded by lock

  CertificateReloader(AgentCertificates certificates, AgentScheduler scheduler, Duration interval) {
    this.certificates = certificates;
    this.scheduler = scheduler;
    this.interval = interval;
  }

  @Override
  public void start() {
    synchronized (lock) {
      running = true;
      next = scheduler.scheduleAfter(this::check, interval);
    }
  }

  private void check() {
    try {
      certificates.reload();
    } catch (RuntimeException e) {
      log.warn("Checking the TLS files failed; trying again in {}", interval, e);
    } finally {
      synchronized (lock) {
        if (running) {
          next = scheduler.scheduleAfter(this::check, interval);
        }
      }
    }
  }

  @Override
  public void stop() {
    synchronized (lock) {
      running = false;
      if (next != null) {
        next.cancel();
        next = null;
      }
    }
  }

  @Override
  public boolean isRunning() {
    synchronized (lock) {
      return running;
    }
  }

  @Override
  public int getPhase() {
    return Phases.CERTIFICATES;
  }
}
