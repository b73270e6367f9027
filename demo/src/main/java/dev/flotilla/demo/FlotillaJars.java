package dev.flotilla.demo;

import dev.flotilla.protocol.tensor.FloatKernels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the runnable jars of a Flotilla checkout are ({@code <module>/target/<module>.jar}, next to
 * {@code target/lib/}), and the command line that runs one of them in a fresh JVM.
 */
public final class FlotillaJars {

  /** Set by bin/flotilla for the demo, and by failsafe (as FLOTILLA_REPO_ROOT) for the e2e tests. */
  public static final String HOME_VARIABLE = "FLOTILLA_HOME";
  public static final String REPO_ROOT_VARIABLE = "FLOTILLA_REPO_ROOT";

  private final Path root;

  public FlotillaJars(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /**
   * The checkout this JVM belongs to: FLOTILLA_HOME, else FLOTILLA_REPO_ROOT, else the parent of the
   * module whose target/ holds this class (demo/target/demo.jar -> the checkout).
   */
  public static FlotillaJars locate() {
    for (String variable : List.of(HOME_VARIABLE, REPO_ROOT_VARIABLE)) {
      String value = System.getenv(variable);
      if (value != null && !value.isBlank()) {
        return new FlotillaJars(Path.of(value));
      }
    }
    try {
      Path codeSource = Path.of(FlotillaJars.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      // .../demo/target/demo.jar or .../demo/target/classes
      return new FlotillaJars(codeSource.getParent().getParent().getParent());
    } catch (Exception e) {
      return new FlotillaJars(Path.of("").toAbsolutePath());
    }
  }

  public Path root() {
    return root;
  }

  public Path jar(String module) {
    return root.resolve(module).resolve("target").resolve(module + ".jar");
  }

  public Path serverJar() {
    return jar("aggregator-server");
  }

  public Path partyJar() {
    return jar("party");
  }

  public Path demoJar() {
    return jar("demo");
  }

  /** Fails with the command that builds them when a jar is missing. */
  public void requirePresent(String... modules) {
    List<String> missing = new ArrayList<>();
    for (String module : modules) {
      if (!Files.isRegularFile(jar(module))) {
        missing.add(jar(module).toString());
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException("missing " + String.join(", ", missing)
          + "; build them with: cd " + root + " && mvn -q -DskipTests install -pl "
          + String.join(",", modules) + " -am");
    }
  }

  /**
   * A private copy of these modules' jars (each {@code target/<module>.jar} copied, its {@code target/lib}
   * hard-linked where the file system allows, else copied), so that processes started from it keep
   * running while someone rebuilds the checkout: a jar replaced under a running JVM breaks its class loading.
   */
  public FlotillaJars snapshot(Path into, String... modules) {
    requirePresent(modules);
    try {
      for (String module : modules) {
        Path target = into.resolve(module).resolve("target");
        Path lib = target.resolve("lib");
        Files.createDirectories(lib);
        Files.copy(jar(module), target.resolve(module + ".jar"), StandardCopyOption.REPLACE_EXISTING);
        Path sourceLib = jar(module).resolveSibling("lib");
        if (Files.isDirectory(sourceLib)) {
          try (Stream<Path> files = Files.list(sourceLib)) {
            for (Path file : (Iterable<Path>) files::iterator) {
              Path copy = lib.resolve(file.getFileName().toString());
              Files.deleteIfExists(copy);
              try {
                Files.createLink(copy, file);
              } catch (IOException | UnsupportedOperationException noHardLink) {
                Files.copy(file, copy);
              }
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the jars of " + String.join(", ", modules) + " to " + into, e);
    }
    return new FlotillaJars(into);
  }

  /**
   * {@code <java> [jvmOptions] -jar <module jar> args...}, with the java that runs this JVM; the
   * aggregator's with the Vector API for aggregation, as {@code bin/flotilla server} and the image start it.
   */
  public List<String> javaCommand(String module, List<String> jvmOptions, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(javaExecutable());
    if (module.equals("aggregator-server")) {
      command.add(FloatKernels.VECTOR_API_JVM_OPTION);
    }
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar(module).toString());
    command.addAll(args);
    return command;
  }

  static String javaExecutable() {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return Files.isExecutable(java) ? java.toString() : "java";
  }
}
