package dev.flotilla.e2e.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The kubectl a user types, against the node's admin kubeconfig. {@code apply -k} needs a kubectl
 * whose kustomize takes directories in {@code resources} (config/default lists ../crd, ../rbac):
 * the one built with kube-apiserver 1.20.2 embeds kustomize 2.0.3, which does not, so this is the
 * kubectl on the PATH (1.32 here, kustomize 5).
 */
final class Kubectl {

  static final Path BINARY = Path.of("/usr/bin/kubectl");
  private static final long TIMEOUT_SECONDS = 120;

  private final Path kubeconfig;

  Kubectl(Path kubeconfig) {
    this.kubeconfig = kubeconfig;
  }

  /** Runs {@code kubectl ARGS...}; returns its standard output, or throws with everything it printed. */
  String run(String... args) {
    List<String> command = new ArrayList<>(List.of(BINARY.toString(), "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile("kubectl", ".out");
      Path err = Files.createTempFile("kubectl", ".err");
      try {
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException(String.join(" ", command) + " still running after " + TIMEOUT_SECONDS + " s");
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
          throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + stdout
              + Files.readString(err, StandardCharsets.UTF_8));
        }
        return stdout;
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + BINARY, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running kubectl", e);
    }
  }
}
