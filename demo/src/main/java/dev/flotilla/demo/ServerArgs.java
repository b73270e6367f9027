package dev.flotilla.demo;

import dev.flotilla.cli.ConfigOption;
import dev.flotilla.protocol.options.ServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The command line of {@code bin/flotilla server}, written with the server's own options ({@link ServerOptions}). */
public final class ServerArgs {

  private final List<String> args = new ArrayList<>();

  public static ServerArgs create(int port, TlsPaths tls) {
    return new ServerArgs()
        .set(ServerOptions.BIND, "127.0.0.1")
        .set(ServerOptions.PORT, port)
        .set(ServerOptions.CERT, tls.certificate())
        .set(ServerOptions.KEY, tls.privateKey())
        .set(ServerOptions.CA, tls.trustedCa());
  }

  public ServerArgs jobId(String jobId) {
    return set(ServerOptions.JOB_ID, jobId);
  }

  public ServerArgs rounds(int rounds) {
    return set(ServerOptions.ROUNDS, rounds);
  }

  public ServerArgs minParties(int parties) {
    return set(ServerOptions.MIN_PARTIES, parties);
  }

  public ServerArgs expectedParties(int parties) {
    return set(ServerOptions.EXPECTED_PARTIES, parties);
  }

  public ServerArgs roundTimeout(Duration timeout) {
    return set(ServerOptions.ROUND_TIMEOUT, timeout);
  }

  public ServerArgs strategy(String strategy) {
    return set(ServerOptions.STRATEGY, strategy);
  }

  /** The local epochs announced to parties (FedNova bounds their claimed steps by them). */
  public ServerArgs localEpochs(int epochs) {
    return set(ServerOptions.LOCAL_EPOCHS, epochs);
  }

  /** float32, bf16 or fp16. */
  public ServerArgs updateEncoding(String encoding) {
    return set(ServerOptions.UPDATE_ENCODING, ServerOptions.UPDATE_ENCODING.parse(encoding));
  }

  public ServerArgs model(String model) {
    return set(ServerOptions.MODEL, model);
  }

  /** A safetensors file: the job's model (names, shapes, dtypes) and its version 0. */
  public ServerArgs initialModel(Path file) {
    return set(ServerOptions.INITIAL_MODEL, file);
  }

  public ServerArgs seed(long seed) {
    return set(ServerOptions.SEED, seed);
  }

  public ServerArgs stateDir(Path dir) {
    return set(ServerOptions.STATE_DIR, dir);
  }

  public ServerArgs statusFile(Path file) {
    return set(ServerOptions.STATUS_FILE, file);
  }

  /** The port of Prometheus /metrics and of the job's web view (on the server's --bind). */
  public ServerArgs metricsPort(int port) {
    return set(ServerOptions.METRICS_PORT, port);
  }

  /** {@code option} with {@code value}, written as the server reads it. */
  public <T> ServerArgs set(ConfigOption<T> option, T value) {
    args.addAll(option.arg(value));
    return this;
  }

  /** Any other flag of the server, such as {@code --server-lr 0.05} (the demo's pass-through). */
  public ServerArgs add(String flag, String value) {
    args.add(flag);
    args.add(value);
    return this;
  }

  public List<String> toList() {
    return List.copyOf(args);
  }
}
