package dev.flotilla.bench;

import dev.flotilla.protocol.tensor.FloatKernels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The packaged aggregator as a process of its own, its output in a log file; its memory read from
 * /proc and the bytes under its state directory sampled four times a second (their peak).
 */
final class ServerUnderTest implements AutoCloseable {

  private final Process process;
  private final Path log;
  private final Path stateDir;
  private final AtomicLong peakStateBytes = new AtomicLong();
  private final AtomicLong sampledPeakRssKib = new AtomicLong();
  private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "state-dir-sampler");
    t.setDaemon(true);
    return t;
  });

  private ServerUnderTest(Process process, Path log, Path stateDir) {
    this.process = process;
    this.log = log;
    this.stateDir = stateDir;
    sampler.scheduleWithFixedDelay(() -> {
      peakStateBytes.accumulateAndGet(BenchFiles.bytesUnder(stateDir), Math::max);
      try {
        sampledPeakRssKib.set(peakRssKib());
      } catch (RuntimeException exited) {
        // the last sample stays
      }
    }, 0, 250, TimeUnit.MILLISECONDS);
  }

  static ServerUnderTest start(Path jar, List<String> jvmOptions, Map<String, String> env, List<String> args, Path log,
      Path stateDir)
      throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar.toAbsolutePath() + " is missing: mvn -pl bench -am package -DskipTests");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add(FloatKernels.VECTOR_API_JVM_OPTION); // as bin/flotilla server and the image
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    Process p = builder.start();
    return new ServerUnderTest(p, log, stateDir);
  }

  long pid() {
    return process.pid();
  }

  void requireAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException("the server exited with " + process.exitValue() + "; its log:\n" + tail());
    }
  }

  /** The last lines of the server's log. */
  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  long rssKib() {
    return status("VmRSS:");
  }

  /** The peak resident set size (VmHWM), in KiB. */
  long peakRssKib() {
    return status("VmHWM:");
  }

  /** The peak resident set size as last sampled (also after the process exited), in KiB. */
  long sampledPeakRssKib() {
    return sampledPeakRssKib.get();
  }

  long peakStateBytes() {
    return Math.max(peakStateBytes.get(), BenchFiles.bytesUnder(stateDir));
  }

  /** /proc/PID/smaps_rollup: Rss, Pss, Anonymous, ... in KiB. */
  Map<String, Long> smapsRollupKib() {
    Map<String, Long> values = new LinkedHashMap<>();
    for (String line : proc("smaps_rollup")) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 3 && f[2].equals("kB")) {
        values.put(f[0].replace(":", ""), Long.parseLong(f[1]));
      }
    }
    return values;
  }

  /** jcmd VM.native_memory summary: committed KiB per category (the server must run with -XX:NativeMemoryTracking). */
  Map<String, Long> nativeMemoryCommittedKib() throws IOException, InterruptedException {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        Long.toString(pid()), "VM.native_memory", "summary").redirectErrorStream(true).start();
    String out = new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    jcmd.waitFor();
    Map<String, Long> committed = new LinkedHashMap<>();
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("(?m)^-?\\s*(Total|[A-Z][A-Za-z ]+?) \\(reserved=\\d+KB, committed=(\\d+)KB\\)").matcher(out);
    while (m.find()) {
      committed.put(m.group(1).trim(), Long.parseLong(m.group(2)));
    }
    m = java.util.regex.Pattern.compile("(?m)^Total: reserved=\\d+KB, committed=(\\d+)KB").matcher(out);
    if (m.find()) {
      committed.put("Total", Long.parseLong(m.group(1)));
    }
    if (committed.isEmpty()) {
      throw new IllegalStateException("jcmd VM.native_memory gave no summary:\n" + out);
    }
    return committed;
  }

  private long status(String key) {
    for (String line : proc("status")) {
      if (line.startsWith(key)) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no " + key + " in /proc/" + pid() + "/status");
  }

  private List<String> proc(String file) {
    requireAlive();
    try {
      return Files.readAllLines(Path.of("/proc", Long.toString(pid()), file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Waits (up to 2 minutes) until something accepts connections on 127.0.0.1:{@code port}: a
   * channel that tried earlier would sit in gRPC's reconnect backoff for seconds after the server
   * came up (at a 2 GiB model, the server needs half a minute to check and store the initial model).
   */
  void awaitListening(int port) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (true) {
      requireAlive();
      try (java.net.Socket probe = new java.net.Socket()) {
        probe.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the server does not listen on port " + port + "; its log:\n" + tail());
        }
      }
      Thread.sleep(100); // polling a port another process opens; no event to wait on
    }
  }

  /** Waits (up to 10 minutes) for a file the server writes, e.g. its export. */
  void awaitFile(Path file) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (!Files.isRegularFile(file)) {
      requireAlive();
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(file + " was not written; the server's log:\n" + tail());
      }
      Thread.sleep(200); // polling a file another process writes; no event to wait on
    }
  }

  /** Waits (up to {@code limit}) for the server to exit; returns its exit code. */
  int awaitExit(java.time.Duration limit) throws InterruptedException {
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("the server did not exit within " + limit + "; its log:\n" + tail());
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    sampler.shutdownNow();
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
    }
  }
}
