package dev.flotilla.server.round;

import dev.flotilla.common.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the job's state to disk on a thread of its own, so no fsync happens under the
 * coordinator's lock and the next round does not wait for the disk. Durable writes (checkpoints,
 * exports) run one after another in the order submitted; the status file is latest-snapshot-wins
 * (a status queued behind a newer one is skipped) but is never written before the durable writes
 * submitted ahead of it, so the status file never names a round whose checkpoint is not yet on
 * disk. The first failure of a durable write is kept and reported by {@link #requireHealthy()} and
 * {@link #awaitWritten()}, and no status is written after it (the job ends with the status of its
 * last durable state); a status file that cannot be written is logged (the job goes on).
 */
public final class StateWriter implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StateWriter.class);

  /** A durable write: a checkpoint or an export. */
  @FunctionalInterface
  public interface Write {
    void run() throws IOException;
  }

  private record Task(String what, Write write, long statusSeq, CompletableFuture<Void> done) {}

  private final String jobId;
  private final Path statusFile;
  private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>();
  private final AtomicLong statusSeq = new AtomicLong();
  private final Thread thread;
  private volatile IOException failure;
  private volatile boolean closed;

  /** @param statusFile where the status goes, or null for none */
  public StateWriter(String jobId, Path statusFile) {
    this.jobId = jobId;
    this.statusFile = statusFile;
    this.thread = new Thread(this::drain, "state-writer-" + jobId);
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues a durable write; {@code what} names it in logs and failures ("the checkpoint of round 3"). */
  public void submit(String what, Write write) {
    enqueue(new Task(what, write, 0, new CompletableFuture<>()));
  }

  /** Completes once everything queued before this call is written (or failed); does not wait. */
  public CompletableFuture<Void> barrier() {
    return enqueue(new Task("a barrier", () -> {}, 0, new CompletableFuture<>()));
  }

  /** Queues the status document; only the newest queued one is written. */
  public void status(byte[] json) {
    if (statusFile == null) {
      return;
    }
    long seq = statusSeq.incrementAndGet();
    enqueue(new Task("the status file " + statusFile, out(json), seq, new CompletableFuture<>()));
  }

  private Write out(byte[] json) {
    return () -> AtomicFiles.writeStream(statusFile, o -> o.write(json));
  }

  private CompletableFuture<Void> enqueue(Task task) {
    if (closed) {
      throw new IllegalStateException("the state writer of job " + jobId + " is closed");
    }
    queue.add(task);
    return task.done();
  }

  /** @throws IOException the first durable write that failed, if any */
  public void requireHealthy() throws IOException {
    IOException f = failure;
    if (f != null) {
      throw f;
    }
  }

  /** Waits until everything queued so far is written; then as {@link #requireHealthy()}. */
  public void awaitWritten() throws IOException, InterruptedException {
    CompletableFuture<Void> barrier = enqueue(new Task("a barrier", () -> {}, 0, new CompletableFuture<>()));
    try {
      barrier.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("a barrier cannot fail", e);
    }
    requireHealthy();
  }

  /** One thread for the job's lifetime; a write that throws anything is recorded and the thread goes on. */
  private void drain() {
    while (true) {
      Task task;
      try {
        task = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      try {
        // a status behind a failed durable write would name a round whose checkpoint is not on disk
        boolean statusWanted = task.statusSeq() == statusSeq.get() && failure == null;
        if (task.statusSeq() == 0 || statusWanted) {
          task.write().run();
        }
      } catch (Exception | Error e) {
        if (task.statusSeq() != 0) {
          log.error("job {}: cannot write {}: {}", jobId, task.what(), e.toString());
        } else {
          log.error("job {}: cannot write {}: {}", jobId, task.what(), e.toString(), e);
          if (failure == null) {
            failure = new IOException("cannot write " + task.what() + ": " + e.getMessage(), e);
          }
        }
      } finally {
        task.done().complete(null);
      }
    }
  }

  /** Writes what is queued, then stops the thread. */
  @Override
  public void close() throws InterruptedException {
    if (closed) {
      return;
    }
    CompletableFuture<Void> last = enqueue(new Task("the end", () -> {}, 0, new CompletableFuture<>()));
    closed = true;
    try {
      last.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
    thread.interrupt();
    thread.join();
  }
}
