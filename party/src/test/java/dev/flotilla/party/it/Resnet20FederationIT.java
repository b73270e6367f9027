package dev.flotilla.party.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resnet20 built-in end to end: the aggregator's layout with BatchNorm buffers and I64
 * counters goes to a party jar, which trains it in DJL on 3x32x32 images and sends the full layout back.
 */
@RequiresRealServers(RealServer.FASHION_MNIST)
class Resnet20FederationIT {
  @TempDir Path dir;

  @BeforeAll
  static void jarsBuilt() {
    Assumptions.assumeTrue(Files.isRegularFile(Federation.serverJar()) && Files.isRegularFile(RogueAggregatorIT.partyJar()),
        "SKIPPED: the aggregator or party jar is missing; build them with mvn -pl party,aggregator-server -am package -DskipTests");
  }

  /** Fashion-MNIST images padded to 32x32, the grey value in 3 channels, as safetensors x [n,3,32,32] and y [n] I64. */
  static void writeColourImages(Path file, int trainCount, int testCount) throws Exception {
    ImageDataset train = FashionMnist.train(RealServer.fashionMnistDirectory()).head(trainCount);
    ImageDataset test = FashionMnist.test(RealServer.fashionMnistDirectory()).head(testCount);
    Safetensors.write(file, List.of(
            new TensorSpec("x", new long[] {trainCount, 3, 32, 32}), new TensorSpec("y", new long[] {trainCount}, DType.I64),
            new TensorSpec("x_test", new long[] {testCount, 3, 32, 32}),
            new TensorSpec("y_test", new long[] {testCount}, DType.I64)),
        new float[][] {colour(train), labels(train), colour(test), labels(test)}, Map.of());
  }

  private static float[] colour(ImageDataset images) {
    float[] out = new float[images.size() * 3 * 32 * 32];
    float[] grey = new float[28 * 28];
    for (int i = 0; i < images.size(); i++) {
      images.copyFeatures(i, grey, 0);
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < 28; y++) {
          System.arraycopy(grey, y * 28, out, i * 3072 + c * 1024 + (y + 2) * 32 + 2, 28);
        }
      }
    }
    return out;
  }

  private static float[] labels(ImageDataset images) {
    float[] out = new float[images.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = images.classOf(i);
    }
    return out;
  }

  @Test
  @DisplayName("a resnet20 job: a party jar trains the built-in in DJL on 3x32x32 images for 2 rounds over mTLS, the server accepts its full layout, and its export evaluates to the party's final accuracy")
  void resnet20Job() throws Exception {
    Path data = dir.resolve("fmnist-colour.safetensors");
    writeColourImages(data, 600, 200);
    try (Federation federation = new Federation(dir, "it-resnet")) {
      federation.serverArgs("--rounds", "2", "--min-parties", "1", "--expected-parties", "1", "--model", "resnet20");
      federation.startServer();
      Path partyDir = federation.party("alice");
      Path log = dir.resolve("alice.log");
      Process alice = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx768m", "-jar", RogueAggregatorIT.partyJar().toString(), "--server", "127.0.0.1:" + federation.port,
          "--ca", federation.dir.resolve("ca").resolve("ca.crt").toString(),
          "--cert", partyDir.resolve("tls.crt").toString(), "--key", partyDir.resolve("tls.key").toString(),
          "--data", data.toString(), "--model", "resnet20", "--lr", "0.05")
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      try {
        assertThat(alice.waitFor(8, TimeUnit.MINUTES)).as("alice exited").isTrue();
        String output = Files.readString(log);
        System.out.println("---- alice ----\n" + output);
        assertThat(alice.exitValue()).as(output).isZero();
        assertThat(output).contains("model resnet20", "round 2/2", "update of 274063 values accepted");
        assertThat(federation.roundsCompleted()).as(federation.statusText()).isEqualTo(2);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("final global model v2 accuracy ([0-9.]+)")
            .matcher(output);
        assertThat(m.find()).as(output).isTrue();
        double partyAccuracy = Double.parseDouble(m.group(1));
        assertThat(partyAccuracy).isGreaterThan(0.2);

        // the server's export, evaluated by bin/flotilla evaluate on the same test images, scores what the party reported
        java.io.StringWriter out = new java.io.StringWriter();
        picocli.CommandLine evaluate = dev.flotilla.party.EvaluateCommand.commandLine();
        evaluate.setOut(new java.io.PrintWriter(out, true));
        int exit = evaluate.execute("--model-file", federation.stateDir.resolve("model-final.safetensors").toString(),
            "--data", data.toString(), "--json");
        assertThat(exit).as(out.toString()).isZero();
        double exported = com.google.gson.JsonParser.parseString(out.toString().strip()).getAsJsonObject()
            .getAsJsonObject("metrics").get("accuracy").getAsDouble();
        assertThat(exported).isCloseTo(partyAccuracy, org.assertj.core.data.Offset.offset(0.00005));
      } finally {
        alice.destroyForcibly();
      }
    }
  }
}
