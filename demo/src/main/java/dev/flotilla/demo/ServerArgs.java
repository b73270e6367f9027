package dev.flotilla.demo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of {@code bin/flotilla server}, as fixed in the contract between the modules. */
public final class ServerArgs {

  private final List<String> args = new ArrayList<>();

  public static ServerArgs create(int port, TlsPaths tls) {
    ServerArgs server = new ServerArgs();
    server.add("--bind", "127.0.0.1").add("--port", Integer.toString(port));
    server.add("--cert", tls.certificate().toString())
        .add("--key", tls.privateKey().toString())
        .add("--ca", tls.trustedCa().toString());
    return server;
  }

  public ServerArgs jobId(String jobId) {
    return add("--job-id", jobId);
  }

  public ServerArgs rounds(int rounds) {
    return add("--rounds", Integer.toString(rounds));
  }

  public ServerArgs minParties(int parties) {
    return add("--min-parties", Integer.toString(parties));
  }

  public ServerArgs expectedParties(int parties) {
    return add("--expected-parties", Integer.toString(parties));
  }

  /** Like 60s, or ISO-8601. */
  public ServerArgs roundTimeout(String timeout) {
    return add("--round-timeout", timeout);
  }

  public ServerArgs strategy(String strategy) {
    return add("--strategy", strategy);
  }

  /** float32, bf16 or fp16. */
  public ServerArgs updateEncoding(String encoding) {
    return add("--update-encoding", encoding);
  }

  public ServerArgs model(String model) {
    return add("--model", model);
  }

  /** A safetensors file: the job's model (names, shapes, dtypes) and its version 0. */
  public ServerArgs initialModel(Path file) {
    return add("--initial-model", file.toString());
  }

  public ServerArgs seed(long seed) {
    return add("--seed", Long.toString(seed));
  }

  public ServerArgs stateDir(Path dir) {
    return add("--state-dir", dir.toString());
  }

  public ServerArgs statusFile(Path file) {
    return add("--status-file", file.toString());
  }

  /** The port of Prometheus /metrics and of the job's web view (on the server's --bind). */
  public ServerArgs metricsPort(int port) {
    return add("--metrics-port", Integer.toString(port));
  }

  /** Any other flag of the server, such as {@code --server-lr 0.05}. */
  public ServerArgs add(String flag, String value) {
    args.add(flag);
    args.add(value);
    return this;
  }

  public List<String> toList() {
    return List.copyOf(args);
  }
}
