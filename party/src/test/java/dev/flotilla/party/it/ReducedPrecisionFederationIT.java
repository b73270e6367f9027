package dev.flotilla.party.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.WireEncoding;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Reduced-precision updates end to end: the aggregator jar with {@code --update-encoding}, and
 * three party jars over mutual TLS, each training through {@code --trainer-command} (the test
 * command adds seeded noise to the global model, so the float32 updates are known from the files
 * it leaves in the work directories). The encoding is applied where the party uploads, whatever
 * trained; the global model must be, value for value, FedAvg's weighted mean of the rounded updates.
 * Carol's update holds 70000, beyond float16's range: in a bf16 job it counts, in an fp16 job
 * carol skips the round saying why, and the round completes with the others at its deadline.
 */
@RequiresRealServers(RealServer.FASHION_MNIST)
class ReducedPrecisionFederationIT {

  private static final String PYTHON = "/usr/bin/python3";

  @TempDir Path dir;

  @BeforeAll
  static void jarsBuilt() {
    Assumptions.assumeTrue(Files.isRegularFile(Federation.serverJar()) && Files.isRegularFile(RogueAggregatorIT.partyJar()),
        "SKIPPED: the aggregator or party jar is missing; build them with mvn -pl party,aggregator-server -am package -DskipTests");
  }

  private Process party(Federation federation, String name, int index, String mode) throws IOException {
    Path script = dir.resolve("test_trainer.py");
    if (!Files.exists(script)) {
      try (InputStream in = getClass().getResourceAsStream("/dev/flotilla/party/train/external/test_trainer.py")) {
        Files.copy(in, script);
      }
    }
    Path partyDir = federation.party(name);
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-jar", RogueAggregatorIT.partyJar().toString(), "--server", "127.0.0.1:" + federation.port,
        "--ca", federation.dir.resolve("ca").resolve("ca.crt").toString(),
        "--cert", partyDir.resolve("tls.crt").toString(), "--key", partyDir.resolve("tls.key").toString(),
        "--data", RealServer.fashionMnistDirectory().toString(), "--partition-count", "3",
        "--partition-index", Integer.toString(index),
        "--trainer-command", PYTHON + " " + script + " " + mode, "--trainer-timeout", "2m",
        "--work-dir", dir.resolve(name + "-work").toString()));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile())
        .start();
  }

  /** The update a party's trainer wrote for round 1, by tensor name. */
  private Map<String, float[]> update(String name) throws IOException {
    ModelFile file = Safetensors.read(dir.resolve(name + "-work").resolve("train-1-1").resolve("update.safetensors"));
    Map<String, float[]> byName = new HashMap<>();
    for (int t = 0; t < file.layout().size(); t++) {
      byName.put(file.layout().get(t).name(), file.values()[t]);
    }
    return byName;
  }

  @ParameterizedTest
  @EnumSource(value = WireEncoding.class, names = {"BFLOAT16", "FLOAT16"})
  @DisplayName("parties upload in the job's 2-byte encoding and the global model equals, value by value, the weighted mean of their rounded updates; in fp16 the party whose update exceeds 65504 skips the round naming the value")
  void globalModelIsTheMeanOfRoundedUpdates(WireEncoding encoding) throws Exception {
    String job = "it-" + encoding.flagName();
    try (Federation federation = new Federation(dir, job)) {
      federation.serverArgs("--rounds", "1", "--min-parties", "2", "--expected-parties", "3", "--join-grace", "60s",
          "--round-timeout", "30s", "--model", "mlp", "--final-eval-wait", "60s",
          "--update-encoding", encoding.flagName());
      federation.startServer();
      Map<String, Process> parties = new HashMap<>();
      parties.put("alice", party(federation, "alice", 0, "noise"));
      parties.put("bob", party(federation, "bob", 1, "noise"));
      parties.put("carol", party(federation, "carol", 2, "noise-huge"));
      try {
        for (Map.Entry<String, Process> p : parties.entrySet()) {
          assertThat(p.getValue().waitFor(4, TimeUnit.MINUTES)).as(p.getKey() + " exited").isTrue();
          assertThat(p.getValue().exitValue()).as(Files.readString(dir.resolve(p.getKey() + ".log"))).isZero();
        }
        assertThat(federation.roundsCompleted()).as(federation.statusText()).isEqualTo(1);
        String carolLog = Files.readString(dir.resolve("carol.log"));
        assertThat(Files.readString(dir.resolve("alice.log"))).contains("updates in " + encoding.describe());
        boolean carolCounts = encoding == WireEncoding.BFLOAT16;
        java.util.regex.Matcher aggregated = java.util.regex.Pattern.compile("round 1 completed: aggregated \\[([a-z, ]+)]")
            .matcher(federation.serverLog());
        assertThat(aggregated.find()).as(federation.serverLog()).isTrue();
        assertThat(aggregated.group(1).split(", ")).containsExactlyInAnyOrder(carolCounts
            ? new String[] {"alice", "bob", "carol"} : new String[] {"alice", "bob"});
        if (!carolCounts) {
          assertThat(carolLog).contains("[job " + job + ", party carol] round 1: skipped, the update cannot be sent as "
              + "float16 (the job's --update-encoding fp16): tensor 'fc1.weight' element 7 is 70000.0, beyond the "
              + "range of float16 (largest finite 65504)");
        }

        Map<String, float[]> alice = update("alice");
        Map<String, float[]> bob = update("bob");
        Map<String, float[]> carol = update("carol");
        ModelFile global = Safetensors.read(federation.stateDir.resolve("model-final.safetensors"));
        long values = 0;
        long differFromFloat32Mean = 0;
        for (int t = 0; t < global.layout().size(); t++) {
          TensorSpec spec = global.layout().get(t);
          float[] a = alice.get(spec.name());
          float[] b = bob.get(spec.name());
          float[] c = carol.get(spec.name());
          float[] expected = new float[a.length];
          for (int i = 0; i < a.length; i++) {
            // as FedAvg folds: a double sum of weight x value, divided by the total weight, rounded to float32;
            // a 2-byte value (at most 11 significant bits) times a weight (9 bits) is exact in a double, and so is
            // the sum of three of them, so the order the server folded them in does not matter
            double sum = 100.0 * encoding.round(a[i]) + 200.0 * encoding.round(b[i]);
            double weight = 300.0;
            double unrounded = 100.0 * a[i] + 200.0 * b[i];
            if (carolCounts) {
              sum += 300.0 * encoding.round(c[i]);
              unrounded += 300.0 * c[i];
              weight += 300.0;
            }
            expected[i] = (float) (sum / weight);
            if (expected[i] != (float) (unrounded / weight)) {
              differFromFloat32Mean++;
            }
          }
          assertThat(global.values()[t]).as(spec.name()).containsExactly(expected);
          values += a.length;
        }
        // the encoding mattered: most values differ from the mean of the float32 updates
        assertThat(differFromFloat32Mean).isGreaterThan(values / 2);
        if (carolCounts) {
          assertThat(global.values()[0][7]).isCloseTo((float) (300.0 * 70144 / 600 + (100.0 * alice.get("fc1.weight")[7]
              + 200.0 * bob.get("fc1.weight")[7]) / 600), org.assertj.core.data.Offset.offset(0.01f));
        }
      } finally {
        parties.values().forEach(Process::destroyForcibly);
        for (String name : parties.keySet()) {
          System.out.println("---- " + name + " ----\n" + Files.readString(dir.resolve(name + ".log")));
        }
      }
    }
  }
}
