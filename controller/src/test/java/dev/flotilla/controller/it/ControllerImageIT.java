package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.ProcessRun;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.RuntimeImage;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The controller's runtime image (profile "images": target/jib-image.tar) imported into the cluster's
 * containerd and run with ctr. Reconciling from a pod is the *ClusterIT tier's part.
 */
@RequiresRealServers({RealServer.CONTAINERD, RealServer.RUNTIME_IMAGE})
class ControllerImageIT {

  @Test
  @DisplayName("the image runs the controller jar's main class as uid 10001 (as bin/flotilla controller), and "
      + "`controller --help` in it exits 0 with the usage")
  void entrypointIsTheControllerCommand() throws IOException {
    RuntimeImage image = RuntimeImage.importFrom(RuntimeImage.moduleTarball());
    String mainClass;
    try (JarFile jar = new JarFile("target/controller.jar")) {
      mainClass = jar.getManifest().getMainAttributes().getValue("Main-Class");
    }
    assertThat(image.reference()).startsWith("localhost/flotilla/controller:").doesNotEndWith(":latest");
    assertThat(image.entrypoint()).containsExactly("java", "-cp", "@/app/jib-classpath-file", mainClass);
    assertThat(image.user()).isEqualTo("10001:10001");

    ProcessRun.Result help = image.run(Duration.ofMinutes(2), List.of("--read-only"), List.of("--help"));

    assertThat(help.exitCode()).as(help.output()).isZero();
    assertThat(help.output()).startsWith("Usage: flotilla controller").contains("--all-namespaces", "--kubeconfig=FILE");
  }
}
