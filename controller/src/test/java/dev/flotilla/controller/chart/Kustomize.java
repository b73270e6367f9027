package dev.flotilla.controller.chart;

import dev.flotilla.testing.ProcessRun;
import dev.flotilla.testing.RealServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** kustomize as {@code kubectl apply -k} runs it: {@code kubectl kustomize} of {@link RealServer#KUBECTL_KUSTOMIZE}. */
public final class Kustomize {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  private Kustomize() {}

  /** The objects {@code kubectl apply -k dir} would apply, in kustomize's order. */
  public static List<Map<String, Object>> build(Path dir) {
    try {
      Path out = Files.createTempFile("kustomize", ".yaml");
      try {
        ProcessRun.run(dir, TIMEOUT, Map.of(), List.of(RealServer.kubectlWithKustomize().toString(), "kustomize", ".",
            "--output", out.toString())).requireSuccess();
        return FlotillaChart.parse(Files.readString(out));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The major version of the kustomize that kubectl embeds ({@code Kustomize Version: v5.5.0} → 5). */
  public static int majorVersion() {
    String out = ProcessRun.run(Path.of("."), TIMEOUT, Map.of(),
        List.of(RealServer.kubectlWithKustomize().toString(), "version", "--client")).requireSuccess();
    Matcher m = Pattern.compile("Kustomize Version: v(\\d+)\\.").matcher(out);
    if (!m.find()) {
      throw new AssertionError("no kustomize version in: " + out);
    }
    return Integer.parseInt(m.group(1));
  }
}
