package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServerMainTest {

  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = ServerMain.run(args);
      // a fuzz test earlier in this JVM leaves Jazzer's agent behind, which reports every class it instruments
      // on System.err ("INFO: Instrumented ...", "INFO: New number of coverage counters ..."): not the server's output
      String serverErr = err.toString(StandardCharsets.UTF_8).lines()
          .filter(line -> !line.startsWith("INFO: ")).collect(java.util.stream.Collectors.joining("\n"));
      return new Result(code, out.toString(StandardCharsets.UTF_8), serverErr);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  @DisplayName("--help lists every flag of the server contract")
  void help() {
    Result r = run("--help");
    assertThat(r.code()).isZero();
    for (String flag : new String[] {"--port", "--bind", "--cert", "--key", "--ca", "--job-id", "--rounds", "--min-parties",
        "--expected-parties", "--join-grace", "--round-timeout", "--strategy", "--fedprox-mu", "--server-lr", "--model",
        "--seed", "--state-dir", "--metrics-port", "--allow-party", "--allow-party-file", "--reconnect-grace",
        "--max-samples-per-party", "--max-update-norm", "--update-norm-action", "--max-message-kib",
        "--max-calls-per-connection", "--max-calls-per-party", "--status-file", "--initial-model", "--export",
        "--export-every-round", "--trim-fraction", "--byzantine-parties", "--krum-select", "--update-encoding"}) {
      assertThat(r.out()).contains(flag);
    }
    assertThat(r.out().replaceAll("\\s+", " "))
        .contains("fedavg, fedprox, fednova, scaffold, fedadam, fedyogi, median, trimmed-mean, krum, multi-krum");
  }

  @Test
  @DisplayName("privacy flags: a budget without clip norm or noise multiplier, a --dp-* flag without a budget, values out "
      + "of range and a budget beside another strategy or --max-update-norm are usage errors (exit 2) with one line")
  void privacyFlags() {
    String[] tls = {"--cert", "a", "--key", "b", "--ca", "c"};
    java.util.function.Function<String[], String> refusal = extra -> {
      String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(tls), java.util.Arrays.stream(extra))
          .toArray(String[]::new);
      Result r = run(args);
      assertThat(r.code()).isEqualTo(2);
      return r.err().strip();
    };
    assertThat(refusal.apply(new String[] {"--privacy-budget", "4"})).isEqualTo("flotilla server: --privacy-budget needs "
        + "--dp-clip-norm and --dp-noise-multiplier (see 'flotilla server --help')");
    assertThat(refusal.apply(new String[] {"--dp-delta", "1e-6"})).isEqualTo("flotilla server: the --dp-* flags take "
        + "effect with --privacy-budget EPSILON; give the budget too (see 'flotilla server --help')");
    assertThat(refusal.apply(new String[] {"--privacy-budget", "4", "--dp-clip-norm", "1", "--dp-noise-multiplier", "1",
        "--dp-sampling-rate", "0"})).isEqualTo("flotilla server: --dp-sampling-rate must be in (0, 1], got 0.0 "
            + "(see 'flotilla server --help')");
    assertThat(refusal.apply(new String[] {"--privacy-budget", "4", "--dp-clip-norm", "1", "--dp-noise-multiplier", "1",
        "--strategy", "median"})).startsWith("flotilla server: --privacy-budget runs DP-FedAvg").endsWith(
            "it cannot be combined with --strategy median (see 'flotilla server --help')");
    assertThat(refusal.apply(new String[] {"--privacy-budget", "4", "--dp-clip-norm", "1", "--dp-noise-multiplier", "1",
        "--max-update-norm", "3"})).isEqualTo("flotilla server: --privacy-budget clips every update to --dp-clip-norm; "
            + "drop --max-update-norm (see 'flotilla server --help')");
  }

  @Test
  @DisplayName("--secure-aggregation is refused, saying why, with strategies and flags that need individual updates, "
      + "with --privacy-budget in central mode and with fewer than 3 parties; --secagg-clip-range out of (0, 1e6] is "
      + "refused")
  void secureAggregationFlags() {
    java.util.function.Function<String, String> refusal = extra -> {
      java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--cert", "a", "--key", "b", "--ca", "c",
          "--secure-aggregation"));
      args.addAll(java.util.List.of(extra.split(" ")));
      Result r = run(args.toArray(String[]::new));
      assertThat(r.code()).isEqualTo(2);
      return r.err().strip();
    };
    assertThat(refusal.apply("--min-parties 3 --strategy median")).isEqualTo("flotilla server: --secure-aggregation "
        + "reveals only the sum of the updates, and --strategy median needs each party's update (to rank, trim or "
        + "score it); use one of [fedavg, fedprox, fedadam, fedyogi] (see 'flotilla server --help')");
    assertThat(refusal.apply("--min-parties 3 --max-update-norm 3")).isEqualTo("flotilla server: --secure-aggregation "
        + "hides each party's update, so --max-update-norm cannot measure it; drop --max-update-norm "
        + "(see 'flotilla server --help')");
    assertThat(refusal.apply("--min-parties 3 --privacy-budget 4 --dp-clip-norm 1 --dp-noise-multiplier 1"))
        .startsWith("flotilla server: --privacy-budget with --dp-mode central clips each update at the aggregator, "
            + "which --secure-aggregation never sees; give --dp-mode distributed");
    assertThat(refusal.apply("--min-parties 2")).isEqualTo("flotilla server: --secure-aggregation needs --min-parties "
        + "of at least 3 (with two, the sum minus one's own update is the other's), got 2 (see 'flotilla server --help')");
    assertThat(refusal.apply("--min-parties 3 --secagg-clip-range 0")).contains("--secagg-clip-range");
  }

  @Test
  @DisplayName("--dp-mode distributed: refused without --secure-aggregation, with --dp-sampling-rate below 1, with a "
      + "clip range the noised sum could overflow, and --dp-dropout-tolerance without it or out of [0, 0.9]; --help "
      + "explains both flags")
  void distributedNoiseFlags() {
    java.util.function.Function<String, String> refusal = extra -> {
      java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--cert", "a", "--key", "b", "--ca", "c",
          "--min-parties", "3", "--privacy-budget", "4", "--dp-clip-norm", "1", "--dp-noise-multiplier", "1"));
      args.addAll(java.util.List.of(extra.split(" ")));
      Result r = run(args.toArray(String[]::new));
      assertThat(r.code()).isEqualTo(2);
      return r.err().strip();
    };
    assertThat(refusal.apply("--dp-mode distributed")).isEqualTo("flotilla server: --dp-mode distributed adds the "
        + "noise in shares before SecAgg+ masks each update; it needs --secure-aggregation (without it, use --dp-mode "
        + "central) (see 'flotilla server --help')");
    assertThat(refusal.apply("--dp-mode distributed --secure-aggregation --secagg-clip-range 1")).startsWith(
        "flotilla server: the noised sum of clipped updates reaches").contains("give --secagg-clip-range");
    assertThat(refusal.apply("--dp-dropout-tolerance 0.2")).startsWith("flotilla server: --dp-dropout-tolerance "
        + "sizes the parties' noise shares; it takes effect with --dp-mode distributed");
    assertThat(refusal.apply("--dp-mode distributed --secure-aggregation --dp-dropout-tolerance 0.95")).isEqualTo(
        "flotilla server: --dp-dropout-tolerance must be in [0, 0.9], got 0.95 (see 'flotilla server --help')");
    assertThat(refusal.apply("--dp-mode local")).isEqualTo("flotilla server: --dp-mode must be central or "
        + "distributed, got 'local' (see 'flotilla server --help')");
    String help = run("--help").out().replaceAll("\\s+", " ");
    assertThat(help).contains("--dp-mode=central|distributed", "no one, the aggregator included, sees the sum "
        + "without it", "--dp-dropout-tolerance=P", "parties sign no survivor list shorter than m");
  }

  @Test
  @DisplayName("robust strategy options out of range, and Krum with too few parties per round, are refused with one line")
  void robustStrategyFlags() {
    Result trim = run("--cert", "a", "--key", "b", "--ca", "c", "--strategy", "trimmed-mean", "--trim-fraction", "0.5");
    assertThat(trim.code()).isEqualTo(2);
    assertThat(trim.err().strip()).isEqualTo("flotilla server: --trim-fraction must be in [0, 0.5), got 0.5 (see 'flotilla server --help')");
    Result f = run("--cert", "a", "--key", "b", "--ca", "c", "--strategy", "krum", "--byzantine-parties", "-1");
    assertThat(f.err().strip()).isEqualTo("flotilla server: --byzantine-parties must be >= 0, got -1 (see 'flotilla server --help')");
    Result few = run("--cert", "a", "--key", "b", "--ca", "c", "--strategy", "krum", "--byzantine-parties", "2",
        "--min-parties", "6");
    assertThat(few.code()).isEqualTo(2);
    assertThat(few.err().strip()).isEqualTo("flotilla server: --strategy krum with --byzantine-parties 2 needs at least 7 "
        + "updates per round (more than 2f + 2); --min-parties is 6 (see 'flotilla server --help')");
    Result select = run("--cert", "a", "--key", "b", "--ca", "c", "--strategy", "multi-krum", "--byzantine-parties", "1",
        "--krum-select", "5", "--min-parties", "5", "--expected-parties", "10");
    assertThat(select.err().strip()).isEqualTo("flotilla server: --strategy multi-krum with --byzantine-parties 1 and "
        + "--krum-select 5 needs at least 6 updates per round (more than 2f + 2, and m + f); --min-parties is 5 (see 'flotilla server --help')");
  }

  @Test
  @DisplayName("bad input ends with a one-line error naming the problem and a non-zero exit")
  void badInput() {
    Result missing = run("--rounds", "3");
    assertThat(missing.code()).isNotZero();
    assertThat(missing.err().strip()).doesNotContain("\n").contains("--cert");

    Result strategy = run("--cert", "a", "--key", "b", "--ca", "c", "--strategy", "fedsgd");
    assertThat(strategy.code()).isNotZero();
    assertThat(strategy.err().strip()).doesNotContain("\n").contains("--strategy 'fedsgd'");

    Result parties = run("--cert", "a", "--key", "b", "--ca", "c", "--min-parties", "3", "--expected-parties", "2");
    assertThat(parties.code()).isNotZero();
    assertThat(parties.err().strip()).contains("--expected-parties (2) must be >= --min-parties (3)");

    Result files = run("--cert", "/nonexistent/tls.crt", "--key", "b", "--ca", "c");
    assertThat(files.code()).isEqualTo(4);
    assertThat(files.err().strip()).isEqualTo("flotilla server: --cert /nonexistent/tls.crt: no such file");

    Result timeout = run("--cert", "a", "--key", "b", "--ca", "c", "--round-timeout", "soon");
    assertThat(timeout.code()).isNotZero();
    assertThat(timeout.err()).contains("'soon' is not a duration");
  }

  @Test
  @DisplayName("a value its option refuses is a usage error (exit 2) whose one line names the flag and the accepted range")
  void optionChecks() {
    Result port = run("--cert", "a", "--key", "b", "--ca", "c", "--port", "70000");
    assertThat(port.code()).isEqualTo(2);
    assertThat(port.err().strip()).isEqualTo("flotilla server: Invalid value for option '--port': must be a port, "
        + "0..65535, not '70000' (see 'flotilla server --help')");
    Result kib = run("--cert", "a", "--key", "b", "--ca", "c", "--max-message-kib", "1024");
    assertThat(kib.code()).isEqualTo(2);
    assertThat(kib.err()).contains("option '--max-message-kib': must be in 1025..2097151");
    Result zero = run("--cert", "a", "--key", "b", "--ca", "c", "--round-timeout", "0");
    assertThat(zero.code()).isEqualTo(2);
    assertThat(zero.err()).contains("option '--round-timeout'").contains("zero");
  }

  @Test
  @DisplayName("a --state-dir that is a file is refused at start-up, with exit code 2 like the other usage errors")
  void stateDirMustBeADirectory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("not-a-dir"), "x");
    Result r = run("--cert", "a", "--key", "b", "--ca", "c", "--state-dir", file.toString());
    assertThat(r.code()).isEqualTo(run("--cert", "a", "--key", "b", "--ca", "c", "--strategy", "fedsgd").code())
        .isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("flotilla server: --state-dir " + file + " is not a directory (see 'flotilla server --help')");
  }

  @Test
  @DisplayName("--model and --initial-model are exclusive; an unknown built-in or a missing file is refused with one line")
  void modelFlags(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    Result both = run("--cert", "a", "--key", "b", "--ca", "c", "--model", "cnn", "--initial-model", "m.safetensors");
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err().strip()).isEqualTo("flotilla server: --model and --initial-model are exclusive: give a built-in "
        + "architecture or a safetensors file (its 'flotilla.model' metadata may name the architecture) (see 'flotilla server --help')");
    Result unknown = run("--cert", "a", "--key", "b", "--ca", "c", "--model", "gpt");
    assertThat(unknown.err().strip()).startsWith("flotilla server: --model: unknown model 'gpt'");
    Result missing = run("--cert", "a", "--key", "b", "--ca", "c", "--initial-model", dir.resolve("none.safetensors").toString());
    assertThat(missing.code()).isEqualTo(4);
    assertThat(missing.err().strip()).isEqualTo("flotilla server: --initial-model " + dir.resolve("none.safetensors")
        + ": no such file");
    Result export = run("--cert", "a", "--key", "b", "--ca", "c", "--export", dir.toString());
    assertThat(export.err().strip()).isEqualTo("flotilla server: --export " + dir + " is a directory; name the file to write (see 'flotilla server --help')");
  }

  @Test
  @DisplayName("the model and export flags reach the job's configuration: --initial-model, --export, --export-every-round")
  void modelFlagsReachTheConfig(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path model = java.nio.file.Files.writeString(dir.resolve("m.safetensors"), "x");
    ServerMain main = new ServerMain();
    ServerMain.commandLine(main).parseArgs("--cert", "a", "--key", "b", "--ca", "c", "--initial-model", model.toString(),
        "--export", dir.resolve("out.safetensors").toString(), "--export-every-round", "--state-dir", dir.resolve("s").toString());
    ServerConfig config = main.config("job1");
    assertThat(config.model()).isNull();
    assertThat(config.initialModel()).isEqualTo(model);
    assertThat(config.exportTarget()).isEqualTo(dir.resolve("out.safetensors"));
    assertThat(config.roundModelsDirectory()).isEqualTo(dir.resolve("s").resolve("models"));

    ServerMain defaults = new ServerMain();
    ServerMain.commandLine(defaults).parseArgs("--cert", "a", "--key", "b", "--ca", "c", "--state-dir", dir.resolve("s").toString());
    ServerConfig builtIn = defaults.config("job1");
    assertThat(builtIn.model()).isEqualTo("mlp");
    assertThat(builtIn.initialModel()).isNull();
    assertThat(builtIn.exportTarget()).isEqualTo(dir.resolve("s").resolve("model-final.safetensors"));
    assertThat(builtIn.roundModelsDirectory()).isNull();
  }

  @Test
  @DisplayName("every duration flag reads 60s, 5m, 500ms, bare seconds or ISO-8601 (protocol's one parser)")
  void durations(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    ServerMain main = new ServerMain();
    ServerMain.commandLine(main).parseArgs("--cert", "a", "--key", "b", "--ca", "c", "--join-grace", "500ms",
        "--round-timeout", "PT2M", "--final-eval-wait", "90", "--reconnect-grace", "1h30m", "--state-dir", dir.toString());
    ServerConfig c = main.config("j");
    assertThat(c.joinGrace()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.roundTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.finalEvaluationWait()).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.reconnectGrace()).isEqualTo(Duration.ofMinutes(90));
  }

  @Test
  @DisplayName("--update-encoding reaches the job's configuration (float32 by default, bf16, fp16); another value is a one-line usage error")
  void updateEncodingFlag(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    String state = dir.resolve("s").toString();
    ServerMain defaults = new ServerMain();
    ServerMain.commandLine(defaults).parseArgs("--cert", "a", "--key", "b", "--ca", "c", "--state-dir", state);
    assertThat(defaults.config("job1").updateEncoding()).isEqualTo(dev.flotilla.protocol.tensor.WireEncoding.FLOAT32);
    for (String flag : new String[] {"bf16", "fp16"}) {
      ServerMain main = new ServerMain();
      ServerMain.commandLine(main).parseArgs("--cert", "a", "--key", "b", "--ca", "c", "--state-dir", state,
          "--update-encoding", flag);
      assertThat(main.config("job1").updateEncoding().flagName()).isEqualTo(flag);
    }
    Result bad = run("--cert", "a", "--key", "b", "--ca", "c", "--update-encoding", "int8");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err().strip()).doesNotContain("\n").contains("update encoding 'int8' is not one of [float32, bf16, fp16]");
  }
}
