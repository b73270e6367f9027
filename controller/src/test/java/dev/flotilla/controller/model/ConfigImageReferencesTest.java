package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No manifest under config/ names a Flotilla image that a node could pull from a public registry: a short
 * name such as {@code flotilla/party:1} means {@code docker.io/flotilla/party:1}, a Docker Hub namespace we
 * do not control, which a node without the imported image would pull (imagePullPolicy IfNotPresent) and run
 * with the controller's ServiceAccount. The project's names start with {@code localhost/}.
 */
@DisplayName("manifests under config/ name Flotilla images that cannot resolve to a public registry")
class ConfigImageReferencesTest {

  private static final YAMLMapper YAML = new YAMLMapper();

  /** True when the reference's registry is this machine: {@code localhost/...} or {@code localhost:<port>/...}. */
  static boolean isLocalOnly(String image) {
    int slash = image.indexOf('/');
    if (slash < 0) {
      return false;
    }
    String host = image.substring(0, slash);
    return host.equals("localhost") || host.startsWith("localhost:");
  }

  /** Every {@code image:} value, and every kustomize {@code images:} entry's {@code newName}, in the node. */
  private static void collectImages(JsonNode node, List<String> images) {
    if (node.isObject()) {
      node.fields().forEachRemaining(field -> {
        if ((field.getKey().equals("image") || field.getKey().equals("newName")) && field.getValue().isTextual()) {
          images.add(field.getValue().asText());
        } else {
          collectImages(field.getValue(), images);
        }
      });
    } else if (node.isArray()) {
      node.forEach(element -> collectImages(element, images));
    }
  }

  /** Image references of every YAML document under config/, by file. */
  private static Map<Path, List<String>> configImages() throws IOException {
    Path config = Samples.repoRoot().resolve("config");
    Map<Path, List<String>> byFile = new java.util.TreeMap<>();
    try (Stream<Path> files = Files.walk(config)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")).toList()) {
        List<String> images = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
          while (docs.hasNext()) {
            JsonNode doc = docs.next();
            if (doc != null) {
              collectImages(doc, images);
            }
          }
        }
        if (!images.isEmpty()) {
          byFile.put(config.relativize(file), images);
        }
      }
    }
    return byFile;
  }

  @Test
  @DisplayName("every Flotilla image in config/ (the controller's Deployment and the samples) starts with localhost/")
  void flotillaImagesAreLocalOnly() throws IOException {
    Map<Path, List<String>> byFile = configImages();
    List<String> flotilla = new ArrayList<>();
    List<String> publiclyResolvable = new ArrayList<>();
    byFile.forEach((file, images) -> images.stream().filter(JobModel::isFlotillaRuntimeImage).forEach(image -> {
      flotilla.add(file + ": " + image);
      if (!isLocalOnly(image)) {
        publiclyResolvable.add(file + ": " + image);
      }
    }));
    // the controller's Deployment and the 7 pods of the two Flotilla sample sets: the walk found them
    assertThat(flotilla).as("Flotilla images under config/").hasSizeGreaterThanOrEqualTo(8)
        .anyMatch(s -> s.startsWith(Path.of("manager", "manager.yaml") + ": "));
    assertThat(publiclyResolvable).as("Flotilla images that a node could pull from a public registry").isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"flotilla/party:0.1.0", "docker.io/flotilla/controller:0.1.0", "ghcr.io/x/flotilla-server:1",
      "localhost.example.com/flotilla/party:1", "flotilla-server", "localhostx/flotilla/server:1"})
  @DisplayName("a reference with no registry or any registry but localhost counts as publicly resolvable")
  void publicReferencesAreRefused(String image) {
    assertThat(isLocalOnly(image)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost/flotilla/party:0.1.0-SNAPSHOT", "localhost:5000/flotilla/server:1"})
  @DisplayName("localhost/ and localhost:<port>/ references are local only, and still Flotilla runtime images")
  void localReferencesAreAccepted(String image) {
    assertThat(isLocalOnly(image)).isTrue();
    assertThat(JobModel.isFlotillaRuntimeImage(image)).isTrue();
  }
}
