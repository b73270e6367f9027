package dev.flotilla.controller.model;

import dev.flotilla.controller.api.IflearnerJob;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads the shipped samples in config/samples, so the tests check what users apply. */
public final class Samples {

  private Samples() {}

  public static Path repoRoot() {
    String env = System.getenv("FLOTILLA_REPO_ROOT");
    if (env != null && Files.isDirectory(Path.of(env, "config"))) {
      return Path.of(env);
    }
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("config/samples"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("cannot find the repository root (config/samples) above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  public static Path sample(String file) {
    return repoRoot().resolve("config/samples").resolve(file);
  }

  /** The sample as the API server would hand it to the controller: in {@code namespace}, with a uid and generation 1. */
  public static IflearnerJob load(String file, String namespace) {
    try {
      IflearnerJob job = Serialization.unmarshal(Files.readString(sample(file)), IflearnerJob.class);
      job.getMetadata().setNamespace(namespace);
      job.getMetadata().setUid("uid-" + job.getMetadata().getName());
      job.getMetadata().setGeneration(1L);
      return job;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
