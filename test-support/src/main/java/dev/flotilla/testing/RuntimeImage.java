package dev.flotilla.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A Flotilla runtime image as {@code mvn -Pimages package} wrote it (an OCI tarball), imported into
 * the single-node cluster's containerd by {@code bin/lib/images.sh import} under the name the kubelet
 * asks for, and run there with {@code ctr run}: the image's entrypoint followed by the given
 * arguments, as a pod's {@code args:} are. Gate tests with {@link RealServer#CONTAINERD} and
 * {@link RealServer#RUNTIME_IMAGE}.
 */
public final class RuntimeImage {

  private static final Duration IMPORT_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration CTR_TIMEOUT = Duration.ofMinutes(1);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path tarball;
  private final String reference;
  private final JsonNode config;

  private RuntimeImage(Path tarball, String reference, JsonNode config) {
    this.tarball = tarball;
    this.reference = reference;
    this.config = config;
  }

  /** The image of the module whose tests run in this JVM: {@code target/jib-image.tar}. */
  public static Path moduleTarball() {
    return Path.of("target", "jib-image.tar").toAbsolutePath();
  }

  /**
   * The image that {@code module}'s profile "images" wrote in this checkout, e.g. {@code party} ->
   * {@code <checkout>/party/target/jib-image.tar} (for tests outside the module, such as the cluster tier).
   */
  public static Path checkoutTarball(String module) {
    return imagesScript().getParent().getParent().getParent().resolve(module).resolve("target").resolve("jib-image.tar");
  }

  /** Imports the tarball (a no-op when containerd holds that manifest already) and reads its config. */
  public static RuntimeImage importFrom(Path tarball) {
    String output = ProcessRun.run(Path.of("."), IMPORT_TIMEOUT, Map.of(),
        List.of(imagesScript().toString(), "import", tarball.toString())).requireSuccess().strip();
    // images.sh logs to stderr (interleaved here) and prints the reference as its last line
    String reference = output.substring(output.lastIndexOf('\n') + 1).strip();
    JsonNode index = json(tarball, "index.json");
    JsonNode manifest = json(tarball, blob(index.path("manifests").path(0).path("digest").asText()));
    JsonNode config = json(tarball, blob(manifest.path("config").path("digest").asText()));
    return new RuntimeImage(tarball, reference, config.path("config"));
  }

  /** The normalized reference containerd holds it under, e.g. {@code localhost/flotilla/party:0.1.0-SNAPSHOT}. */
  public String reference() {
    return reference;
  }

  public List<String> entrypoint() {
    List<String> entrypoint = new ArrayList<>();
    config.path("Entrypoint").forEach(part -> entrypoint.add(part.asText()));
    return entrypoint;
  }

  public String user() {
    return config.path("User").asText();
  }

  public Map<String, String> environment() {
    Map<String, String> environment = new LinkedHashMap<>();
    config.path("Env").forEach(entry -> {
      String text = entry.asText();
      int eq = text.indexOf('=');
      environment.put(text.substring(0, eq), text.substring(eq + 1));
    });
    return environment;
  }

  /**
   * Runs the entrypoint with {@code args} in a fresh container ({@code ctr run --rm}) and waits for its
   * end. {@code ctrOptions} go before the image (mounts, {@code --net-host}, {@code --read-only}); with
   * none the container has a network namespace of its own holding only loopback.
   */
  public ProcessRun.Result run(Duration timeout, List<String> ctrOptions, List<String> args) {
    List<String> command = new ArrayList<>(entrypoint());
    command.addAll(args);
    return runCommand(timeout, ctrOptions, command);
  }

  /** As {@link #run}, with {@code command} instead of the entrypoint (e.g. another main class of the image). */
  public ProcessRun.Result runCommand(Duration timeout, List<String> ctrOptions, List<String> command) {
    String name = "flotilla-image-test-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> ctrRun = new ArrayList<>(List.of("run", "--rm"));
    ctrRun.addAll(ctrOptions);
    ctrRun.add(reference);
    ctrRun.add(name);
    ctrRun.addAll(command);
    try {
      return ctr(timeout, ctrRun);
    } finally {
      remove(name);
    }
  }

  /**
   * Starts the entrypoint with {@code args} in the background ({@code ctr run -d}), its output going to
   * {@code log} (stdout and stderr); close() kills and removes it.
   */
  public Started start(Path log, List<String> ctrOptions, List<String> args) {
    String name = "flotilla-image-test-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> command = new ArrayList<>(List.of("run", "-d", "--log-uri", log.toAbsolutePath().toUri().toString()));
    command.addAll(ctrOptions);
    command.add(reference);
    command.add(name);
    command.addAll(entrypoint());
    command.addAll(args);
    ctr(CTR_TIMEOUT, command).requireSuccess();
    return new Started(name, log);
  }

  /** A container started by {@link #start}. */
  public final class Started implements AutoCloseable {
    private final String name;
    private final Path log;

    private Started(String name, Path log) {
      this.name = name;
      this.log = log;
    }

    /** What the container printed so far. */
    public String log() {
      try {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + log, e);
      }
    }

    /** The task's status in {@code ctr task ls} (RUNNING, STOPPED), or empty when it has none. */
    public String status() {
      return ctr(CTR_TIMEOUT, List.of("task", "ls")).requireSuccess().lines()
          .map(line -> line.trim().split("\\s+"))
          .filter(fields -> fields.length == 3 && fields[0].equals(name))
          .map(fields -> fields[2]).findFirst().orElse("");
    }

    @Override
    public void close() {
      remove(name);
    }
  }

  private static void remove(String name) {
    ctr(CTR_TIMEOUT, List.of("task", "kill", "--signal", "SIGKILL", name));
    ctr(CTR_TIMEOUT, List.of("task", "delete", "--force", name));
    ctr(CTR_TIMEOUT, List.of("containers", "delete", name));
  }

  private static ProcessRun.Result ctr(Duration timeout, List<String> args) {
    List<String> command = new ArrayList<>(List.of(SingleNodeCluster.clusterScript().toString(), "ctr"));
    command.addAll(args);
    return ProcessRun.run(Path.of("."), timeout, Map.of(), command);
  }

  static Path imagesScript() {
    return SingleNodeCluster.clusterScript().resolveSibling("images.sh");
  }

  private static String blob(String digest) {
    if (!digest.matches("sha256:[0-9a-f]{64}")) {
      throw new AssertionError("not a sha256 digest: '" + digest + "'");
    }
    return "blobs/sha256/" + digest.substring("sha256:".length());
  }

  private static JsonNode json(Path tarball, String entry) {
    String text = ProcessRun.run(Path.of("."), CTR_TIMEOUT, Map.of(), List.of("tar", "-xOf", tarball.toString(), entry))
        .requireSuccess();
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(tarball + "!" + entry + " is not JSON", e);
    }
  }

  @Override
  public String toString() {
    return reference + " (" + tarball + ")";
  }
}
