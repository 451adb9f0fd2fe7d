package io.dranode.agent.archfixture;

import java.util.Timer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * Never run: everything the background-work rules forbid, in one place, so that a test can show the
 * rules catch each of them. If one of these stopped being reported, a rule would be broken.
 */
public final class RogueBackgroundWork {

  private RogueBackgroundWork() {}

  public static Thread rawThread(Runnable work) {
    return new Thread(work, "rogue");
  }

  public static ExecutorService staticPool() {
    return Executors.newFixedThreadPool(2);
  }

  public static ExecutorService ownPool() {
    return new ScheduledThreadPoolExecutor(1);
  }

  public static Timer timer() {
    return new Timer("rogue", true);
  }

  public static ForkJoinPool commonPool() {
    return ForkJoinPool.commonPool();
  }

  public static CompletableFuture<Void> runAsyncOnTheCommonPool(Runnable work) {
    return CompletableFuture.runAsync(work);
  }

  public static CompletableFuture<String> supplyAsyncOnTheCommonPool() {
    return CompletableFuture.supplyAsync(() -> "rogue");
  }

  public static CompletableFuture<String> thenApplyAsyncOnTheCommonPool(
      CompletableFuture<String> stage) {
    return stage.thenApplyAsync(s -> s + "!");
  }
}
