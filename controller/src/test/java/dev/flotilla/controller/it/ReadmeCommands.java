package dev.flotilla.controller.it;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.Release;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.testing.ProcessRun;
import dev.flotilla.testing.RealServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shell blocks of a README section, run as written against a kubeconfig: {@code kubectl} lines
 * with the kubectl a user has ({@link RealServer#KUBECTL_KUSTOMIZE}), {@code helm install} lines with
 * Helm's own library (helm-java; no helm binary here). Anything else, or any quoting, is refused, so
 * a README change that this runner cannot run fails instead of being skipped.
 */
final class ReadmeCommands {

  private static final Pattern SH_BLOCK = Pattern.compile("(?s)```sh\\n(.*?)```");
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  private final Path kubeconfig;
  private final String kubeConfigYaml;

  ReadmeCommands(Path kubeconfig, String kubeConfigYaml) {
    this.kubeconfig = kubeconfig;
    this.kubeConfigYaml = kubeConfigYaml;
  }

  /** The command lines of each ```sh block under {@code heading} of the repository's README.md, comments dropped. */
  static List<List<String>> blocks(String heading) {
    String readme;
    try {
      readme = Files.readString(Samples.repoRoot().resolve("README.md"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int start = readme.indexOf("\n" + heading + "\n");
    if (start < 0) {
      throw new AssertionError("README.md has no section '" + heading + "'");
    }
    int end = readme.indexOf("\n## ", start + heading.length() + 1);
    String section = readme.substring(start, end < 0 ? readme.length() : end);
    List<List<String>> blocks = new ArrayList<>();
    Matcher m = SH_BLOCK.matcher(section);
    while (m.find()) {
      List<String> lines = new ArrayList<>();
      for (String line : m.group(1).split("\n")) {
        String command = line.replaceFirst("\\s+#.*$", "").trim();
        if (!command.isEmpty() && !command.startsWith("#")) {
          lines.add(command);
        }
      }
      blocks.add(lines);
    }
    return blocks;
  }

  /** Runs one README line from the repository root; returns what it printed. */
  String run(String line) {
    if (line.contains("\"") || line.contains("'") || line.contains("$") || line.contains("|") || line.contains("&")) {
      throw new AssertionError("cannot run '" + line + "' as written: quoting, variables and pipes are not supported here");
    }
    List<String> words = List.of(line.split("\\s+"));
    return switch (words.get(0)) {
      case "kubectl" -> kubectl(words.subList(1, words.size()));
      case "helm" -> helm(words.subList(1, words.size()));
      default -> throw new AssertionError("cannot run '" + line + "': only kubectl and helm lines are run");
    };
  }

  String kubectl(List<String> args) {
    List<String> command = new ArrayList<>(List.of(RealServer.kubectlWithKustomize().toString(), "--kubeconfig", kubeconfig.toString()));
    command.addAll(args);
    return ProcessRun.run(Samples.repoRoot(), TIMEOUT, Map.of(), command).requireSuccess();
  }

  /** {@code helm install NAME CHART [--namespace NS | -n NS] [--create-namespace]} through helm-java. */
  private String helm(List<String> args) {
    if (args.size() < 3 || !args.get(0).equals("install")) {
      throw new AssertionError("cannot run 'helm " + String.join(" ", args) + "': only helm install NAME CHART [options]");
    }
    InstallCommand install = new Helm(Samples.repoRoot().resolve(args.get(2))).install().withName(args.get(1))
        .withKubeConfigContents(kubeConfigYaml);
    for (int i = 3; i < args.size(); i++) {
      switch (args.get(i)) {
        case "--namespace", "-n" -> install.withNamespace(args.get(++i));
        case "--create-namespace" -> install.createNamespace();
        default -> throw new AssertionError("cannot run helm option " + args.get(i) + " here");
      }
    }
    Release release = install.call();
    if (!"deployed".equals(release.getStatus())) {
      throw new AssertionError("helm " + String.join(" ", args) + ": release " + release.getStatus());
    }
    return release.getOutput();
  }
}
