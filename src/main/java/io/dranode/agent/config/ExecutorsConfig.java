package io.dranode.agent.config;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Clock;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

/**
 * Every thread of the agent comes from here, and every one of them stops with the context: this is
 * the only package allowed to create executors (an ArchUnit test keeps it so). All thread names
 * start with {@value #THREAD_PREFIX}, which is how tests find "our" threads.
 */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
public class ExecutorsConfig {

  /** Prefix of the name of every thread the agent creates. */
  public static final String THREAD_PREFIX = "dra-";

  /** Bounded wait, at context close, for work that is already running. */
  static final int AWAIT_TERMINATION_SECONDS = 10;

  /**
   * Idle time after which a pool thread ends: an idle agent keeps no registration, gRPC-callback,
   * Kubernetes, stream, wipe, report or review thread; a burst starts them again at once, up to
   * each pool's size.
   */
  static final int IDLE_THREAD_KEEP_ALIVE_SECONDS = 5;

  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }

  /**
   * The one scheduler: delayed wipes, retries, sweeps. At close, queued delayed tasks are dropped
   * (never run after the context is gone) and running ones are interrupted and awaited with a
   * bound. Spring's default of waiting without the delayed-task policy would let a delayed wipe run
   * after close: the upstream bug in Spring form.
   */
  @Bean(destroyMethod = "shutdown")
  ThreadPoolTaskScheduler taskScheduler() {
    ThreadPoolTaskScheduler scheduler = new ThreadPoolTaskScheduler();
    scheduler.setPoolSize(2);
    scheduler.setThreadNamePrefix(THREAD_PREFIX + "scheduler-");
    scheduler.setRemoveOnCancelPolicy(true);
    scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    scheduler.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    scheduler.setWaitForTasksToCompleteOnShutdown(false);
    scheduler.setAwaitTerminationSeconds(AWAIT_TERMINATION_SECONDS);
    scheduler.setAcceptTasksAfterContextClose(false);
    return scheduler;
  }

  /** The seam every delayed task of the agent is scheduled through, on {@link #taskScheduler}. */
  @Bean
  AgentScheduler agentScheduler(ThreadPoolTaskScheduler taskScheduler, Clock clock) {
    return new TaskSchedulerAgentScheduler(taskScheduler, clock);
  }

  /** Registration attempts: blocking gRPC calls with deadlines, one socket at a time each. */
  @Bean(destroyMethod = "shutdown")
  ThreadPoolTaskExecutor registrationExecutor() {
    return boundedPool("register-", 4);
  }

  /** Callbacks of gRPC channels and streams towards plugins. */
  @Bean(destroyMethod = "shutdown")
  ThreadPoolTaskExecutor grpcExecutor() {
    return boundedPool("grpc-", 4);
  }

  /** Work of the Kubernetes client: informer deliveries, watch reconnects. */
  @Bean(destroyMethod = "shutdown")
  ThreadPoolTaskExecutor kubernetesExecutor() {
    return boundedPool("k8s-", 2);
  }

  /**
   * The deletes of a wipe, at most {@code dra.agent.wipe.parallel-deletes} in flight (the wiper
   * bounds them; the pool is as large so that none waits in its queue).
   */
  @Bean(destroyMethod = "shutdown")
  ThreadPoolTaskExecutor wipeExecutor(AgentProperties properties) {
    return boundedPool("wipe-", properties.wipe().parallelDeletes());
  }

  /**
   * What the agent writes to the cluster besides wipes (Events): one at a time, off every thread
   * that registers, connects or wipes, so that a slow or failing API server delays none of them.
   * Its thread exists only while there is something to write.
   */
  @Bean(destroyMethod = "shutdown")
  ThreadPoolTaskExecutor reportExecutor() {
    return boundedPool("report-", 1);
  }

  /** Writes to Server-Sent-Event clients, so that a slow client never blocks a publisher. */
  @Bean(destroyMethod = "shutdown")
  ThreadPoolTaskExecutor streamExecutor() {
    return boundedPool("stream-", 2);
  }

  /**
   * TokenReviews and SubjectAccessReviews ({@code dra.agent.security.mode=kubernetes} only): one
   * thread per review allowed in flight, so no review waits in a queue; the callers never wait for
   * a thread of this pool (see {@code io.dranode.agent.security.ReviewRunner}).
   */
  @Bean(destroyMethod = "shutdown")
  @ConditionalOnProperty(prefix = "dra.agent.security", name = "mode", havingValue = "kubernetes")
  ThreadPoolTaskExecutor reviewExecutor(AgentProperties properties) {
    return boundedPool("review-", properties.security().maxReviewsInFlight());
  }

  /** The blocking directory watch loop. */
  @Bean(destroyMethod = "shutdown")
  ThreadPoolTaskExecutor watchExecutor() {
    return boundedPool("watch-", 1);
  }

  /**
   * The Netty I/O thread for every Unix-socket channel to plugins (epoll: the JDK NIO transport has
   * no domain sockets for gRPC), closed after the beans that use it have closed their channels. One
   * is enough: it only moves small frames; the work runs on {@link #grpcExecutor}.
   */
  @Bean
  UnixChannels unixChannels(@Qualifier("grpcExecutor") ThreadPoolTaskExecutor grpcExecutor) {
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            1,
            new DefaultThreadFactory(THREAD_PREFIX + "grpc-io", true),
            EpollIoHandler.newFactory());
    return new UnixChannels(group, grpcExecutor);
  }

  private static ThreadPoolTaskExecutor boundedPool(String name, int threads) {
    ThreadPoolTaskExecutor executor = new ApplicationThreads();
    executor.setCorePoolSize(threads);
    executor.setMaxPoolSize(threads);
    executor.setThreadNamePrefix(THREAD_PREFIX + name);
    executor.setAllowCoreThreadTimeOut(true);
    executor.setKeepAliveSeconds(IDLE_THREAD_KEEP_ALIVE_SECONDS);
    executor.setWaitForTasksToCompleteOnShutdown(false);
    executor.setAwaitTerminationSeconds(AWAIT_TERMINATION_SECONDS);
    executor.setAcceptTasksAfterContextClose(false);
    executor.setDaemon(true);
    return executor;
  }

  /**
   * Threads with the application's class loader, not that of the thread that happened to start
   * them: a pool thread started from a web request would otherwise carry the web server's class
   * loader, and the server would report it as a leak when it stops.
   */
  private static final class ApplicationThreads extends ThreadPoolTaskExecutor {
    private static final long serialVersionUID = 1L;

    @Override
    public Thread createThread(Runnable runnable) {
      Thread thread = super.createThread(runnable);
      thread.setContextClassLoader(ExecutorsConfig.class.getClassLoader());
      return thread;
    }
  }
}
