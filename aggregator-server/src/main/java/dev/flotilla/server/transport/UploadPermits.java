package dev.flotilla.server.transport;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * How many SubmitUpdate streams are read at once ({@code --max-concurrent-uploads}). An upload
 * being read keeps up to one model on disk until it ends (the spool file of a streaming strategy,
 * or the spool of the norm bound), so this bound keeps that disk at permits x model instead of
 * parties x model. A stream waiting for a permit is simply not read: gRPC's flow control stalls its
 * sender once the stream's window is full, so waiting costs one flow-control window, no disk.
 * Permits go out in arrival order; a party holds at most one (one SubmitUpdate per party at a time,
 * see {@link CallAdmission}), so a few slow parties cannot starve the rest unless they are as many
 * as the permits.
 */
public final class UploadPermits {

  /** What --max-concurrent-uploads 0 (the default) allows on disk: uploads of this many bytes in all. */
  public static final long AUTO_SPOOL_BYTES = 16L << 30;
  /** ... but never fewer uploads at once than this. */
  public static final int AUTO_MINIMUM = 4;

  /**
   * The permits of {@code --max-concurrent-uploads}: {@code configured} when above 0; else as many
   * uploads as {@link #AUTO_SPOOL_BYTES} of spool hold for a model of {@code modelBytes} (at least
   * {@link #AUTO_MINIMUM}): 16 of a 1 GiB model, every party of a job with a 1 MiB one (waiting
   * streams cost a flow-control window of memory each, so small models should not wait).
   */
  public static UploadPermits forModel(int configured, long modelBytes) {
    if (configured > 0) {
      return new UploadPermits(configured);
    }
    long fit = AUTO_SPOOL_BYTES / Math.max(1, modelBytes);
    return new UploadPermits((int) Math.max(AUTO_MINIMUM, Math.min(Integer.MAX_VALUE, fit)));
  }

  /** The number of permits. */
  public int permits() {
    return permits;
  }

  private final int permits;
  private final Deque<Permit> waiting = new ArrayDeque<>();
  private int granted;

  public UploadPermits(int permits) {
    if (permits < 1) {
      throw new IllegalArgumentException("--max-concurrent-uploads must be >= 1, got " + permits);
    }
    this.permits = permits;
  }

  /**
   * Asks for a permit: {@code onGranted} runs now, on this thread, if one is free; else later, on
   * the thread of the {@link Permit#release()} that frees one (never while this class's lock is held).
   */
  public Permit request(Runnable onGranted) {
    Permit permit = new Permit(onGranted);
    boolean now;
    synchronized (this) {
      now = granted < permits;
      if (now) {
        granted++;
        permit.state = State.GRANTED;
      } else {
        waiting.addLast(permit);
      }
    }
    if (now) {
      onGranted.run();
    }
    return permit;
  }

  /** Permits held now. */
  public synchronized int inUse() {
    return granted;
  }

  /** Streams waiting for a permit now. */
  public synchronized int waiting() {
    return waiting.size();
  }

  private enum State { WAITING, GRANTED, RELEASED }

  /** One stream's claim: released once when the stream ends, granted or not. */
  public final class Permit {

    private final Runnable onGranted;
    private State state = State.WAITING;

    private Permit(Runnable onGranted) {
      this.onGranted = onGranted;
    }

    /** Whether the permit was granted (and not yet released). */
    public boolean granted() {
      synchronized (UploadPermits.this) {
        return state == State.GRANTED;
      }
    }

    /** Gives the permit back (or leaves the queue); later calls do nothing. */
    public void release() {
      Permit next = null;
      synchronized (UploadPermits.this) {
        if (state == State.WAITING) {
          waiting.remove(this);
        } else if (state == State.GRANTED) {
          next = waiting.pollFirst();
          if (next == null) {
            granted--;
          } else {
            next.state = State.GRANTED; // the freed permit passes straight to the next stream
          }
        }
        state = State.RELEASED;
      }
      if (next != null) {
        next.onGranted.run();
      }
    }
  }
}
