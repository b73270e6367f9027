package dev.flotilla.party.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.party.EvaluateCommand;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.testing.ProcessRun;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.RuntimeImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The party's runtime image (profile "images": target/jib-image.tar) imported into the cluster's
 * containerd and run with ctr: the entrypoint bin/flotilla party runs, as uid 10001, and DJL's
 * PyTorch engine loading from the image alone, with no network and a read-only root file system.
 */
@RequiresRealServers({RealServer.CONTAINERD, RealServer.RUNTIME_IMAGE, RealServer.FASHION_MNIST})
class PartyImageIT {

  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);
  private static final Pattern METRICS = Pattern.compile("\"metrics\":\\{[^}]*}");

  private static RuntimeImage image;

  @TempDir Path dir;

  @BeforeAll
  static void importImage() {
    image = RuntimeImage.importFrom(RuntimeImage.moduleTarball());
  }

  @Test
  @DisplayName("the image runs the party jar's main class as uid 10001, and `party --help` in it exits 0 with the usage")
  void entrypointIsThePartyCommand() throws IOException {
    String mainClass;
    try (JarFile jar = new JarFile("target/party.jar")) {
      mainClass = jar.getManifest().getMainAttributes().getValue("Main-Class");
    }
    // the name the samples' `image: localhost/flotilla/party:<version>` resolves to; never "latest", so IfNotPresent never pulls
    assertThat(image.reference()).startsWith("localhost/flotilla/party:").doesNotEndWith(":latest");
    assertThat(image.entrypoint()).containsExactly("java", "-cp", "@/app/jib-classpath-file", mainClass);
    assertThat(image.user()).isEqualTo("10001:10001");

    ProcessRun.Result help = image.run(RUN_TIMEOUT, List.of(), List.of("--help"));

    assertThat(help.exitCode()).as(help.output()).isZero();
    assertThat(help.output()).startsWith("Usage: flotilla party").contains("--server=HOST:PORT", "--data=PATH");
  }

  @Test
  @DisplayName("with no network, a read-only root and a writable /tmp only, DJL's PyTorch evaluates a model in the "
      + "container exactly as the party jar does on the host, and nothing is unpacked into /tmp")
  void pytorchLoadsOfflineFromTheImage() throws Exception {
    Path model = dir.resolve("model");
    Path tmp = dir.resolve("tmp");
    Files.createDirectories(model);
    Files.createDirectories(tmp);
    Path weights = model.resolve("mlp.safetensors");
    Safetensors.write(weights, ModelSpecs.forName("mlp"), ModelSpecs.initialWeights("mlp", 7),
        Map.of(Safetensors.MODEL_KEY, "mlp"));
    // the container runs as uid 10001: it reads the model and writes /tmp
    Files.setPosixFilePermissions(weights, PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(model, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    List<String> sample = List.of("--eval-samples", "500", "--json");
    // bin/flotilla evaluate: the party jar's classpath with the EvaluateCommand main
    List<String> evaluate = new ArrayList<>(image.entrypoint().subList(0, image.entrypoint().size() - 1));
    evaluate.addAll(List.of(EvaluateCommand.class.getName(), "--model-file", "/model/mlp.safetensors", "--data", "/data"));
    evaluate.addAll(sample);

    // no --net-host: the container's network namespace holds only loopback
    ProcessRun.Result inImage = image.runCommand(RUN_TIMEOUT, List.of("--read-only",
        "--mount", "type=bind,src=" + model + ",dst=/model,options=rbind:ro",
        "--mount", "type=bind,src=" + RealServer.fashionMnistDirectory() + ",dst=/data,options=rbind:ro",
        "--mount", "type=bind,src=" + tmp + ",dst=/tmp,options=rbind:rw"), evaluate);
    List<String> onHostCommand = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", "target/party.jar", EvaluateCommand.class.getName(), "--model-file", weights.toString(),
        "--data", RealServer.fashionMnistDirectory().toString()));
    onHostCommand.addAll(sample);
    ProcessRun.Result onHost = ProcessRun.run(Path.of("."), RUN_TIMEOUT, Map.of(), onHostCommand);

    assertThat(inImage.exitCode()).as(inImage.output()).isZero();
    assertThat(onHost.exitCode()).as(onHost.output()).isZero();
    assertThat(inImage.output()).contains("\"model_file\":\"/model/mlp.safetensors\"", "\"samples\":500");
    String metrics = metrics(onHost.output());
    assertThat(metrics).contains("\"accuracy\":", "\"loss\":");
    assertThat(metrics(inImage.output())).isEqualTo(metrics);
    try (Stream<Path> unpacked = Files.walk(tmp)) {
      assertThat(unpacked.map(path -> path.getFileName().toString()))
          .noneMatch(name -> name.startsWith("libtorch") || name.contains("djl_torch"));
    }
  }

  private static String metrics(String output) {
    Matcher m = METRICS.matcher(output);
    assertThat(m.find()).as("a metrics object in:\n" + output).isTrue();
    return m.group();
  }
}
