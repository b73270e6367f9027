package dev.flotilla.controller.operator;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Keys waiting to be reconciled, deduplicated: a key queued twice runs once, at the earlier of
 * the two times. One worker thread, so a key is never reconciled by two threads at once.
 */
public final class WorkQueue implements AutoCloseable {

  private final ScheduledExecutorService worker;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final Consumer<String> handler;

  private record Pending(long dueNanos, ScheduledFuture<?> future) {}

  public WorkQueue(String threadName, Consumer<String> handler) {
    this.handler = handler;
    this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
  }

  public void add(String key) {
    addAfter(key, Duration.ZERO);
  }

  public synchronized void addAfter(String key, Duration delay) {
    if (worker.isShutdown()) {
      return;
    }
    long due = System.nanoTime() + delay.toNanos();
    Pending existing = pending.get(key);
    if (existing != null && existing.dueNanos() <= due) {
      return;
    }
    if (existing != null) {
      existing.future().cancel(false);
    }
    ScheduledFuture<?> future = worker.schedule(() -> run(key), delay.toNanos(), TimeUnit.NANOSECONDS);
    pending.put(key, new Pending(due, future));
  }

  private void run(String key) {
    synchronized (this) {
      pending.remove(key);
    }
    handler.accept(key);
  }

  public int size() {
    return pending.size();
  }

  @Override
  public void close() {
    worker.shutdownNow();
    try {
      worker.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
