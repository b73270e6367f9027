package dev.flotilla.party.train;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;

/**
 * Starts DJL's PyTorch engine from the native libraries bundled in the {@code pytorch-native-cpu}
 * jar, never from the network: {@code ai.djl.offline=true} makes any download attempt an error
 * instead of a silent fetch. The libraries are unpacked once into DJL's cache directory
 * ({@code ~/.djl.ai}, or {@code DJL_CACHE_DIR}).
 */
public final class PyTorchEngine {
  /** Environment variable: intra-op threads of PyTorch (default: PyTorch's choice, the core count). */
  public static final String THREADS_ENV = "FLOTILLA_TORCH_THREADS";

  private PyTorchEngine() {}

  /**
   * Starts loading libtorch (~5 s of round 1's start-up) on a daemon thread, so that what the caller does meanwhile
   * (reading the data set) overlaps it instead of coming before it. {@link #get} waits for the load (both hold this
   * class's lock); a failure here is left to the next {@link #get}, which reports it.
   */
  public static void loadInBackground() {
    Thread loader = new Thread(() -> {
      try {
        get();
      } catch (RuntimeException | LinkageError e) {
        // the caller's own get() fails with the reason
      }
    }, "libtorch-loader");
    loader.setDaemon(true);
    loader.start();
  }

  public static synchronized Engine get() {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("ai.djl.default_engine", "PyTorch");
    String threads = System.getenv(THREADS_ENV);
    if (threads != null && !threads.isBlank() && System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", threads.trim());
    }
    try {
      return Engine.getEngine("PyTorch");
    } catch (EngineException | IllegalArgumentException | UnsatisfiedLinkError e) {
      throw new IllegalStateException("cannot start the PyTorch engine from the bundled pytorch-native-cpu "
          + "(linux-x86_64) jar: " + e.getMessage() + "; check that the party's lib/ directory holds "
          + "pytorch-native-cpu-*-linux-x86_64.jar and pytorch-jni-*.jar and that the DJL cache directory "
          + "(~/.djl.ai or DJL_CACHE_DIR) is writable", e);
    }
  }
}
