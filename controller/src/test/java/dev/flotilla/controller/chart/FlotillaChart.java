package dev.flotilla.controller.chart;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import dev.flotilla.controller.model.Samples;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * charts/flotilla as the tests use it: rendered by Helm's own library (helm-java, Helm 3.21) with
 * the release name and namespace the README's install command uses, parsed into plain maps so no
 * Java model reshapes what Helm wrote.
 */
public final class FlotillaChart {

  /** The README's install: {@code helm install flotilla charts/flotilla --namespace flotilla-system}. */
  public static final String RELEASE = "flotilla";
  public static final String NAMESPACE = "flotilla-system";

  /** The labels the chart adds to every object's metadata, beyond what config/ ships. */
  public static final List<String> HELM_LABELS = List.of("helm.sh/chart", "app.kubernetes.io/managed-by",
      "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/part-of");

  /** The pod-template annotation that rolls the controller when its ConfigMap changes. */
  public static final String CHECKSUM_ANNOTATION = "checksum/watch";

  private static final YAMLMapper YAML = new YAMLMapper();

  private FlotillaChart() {}

  public static Path directory() {
    return Samples.repoRoot().resolve("charts/flotilla");
  }

  /**
   * What {@code helm install} makes: the chart's CRDs (crds/, which Helm applies as they are) and
   * {@code helm template} of its templates with {@code values} (nested maps and lists, as a
   * {@code --values} file would give them) on top of values.yaml.
   */
  public static List<Map<String, Object>> render(Map<String, Object> values) {
    List<Map<String, Object>> out = new ArrayList<>(crds());
    out.addAll(parse(template(values)));
    return out;
  }

  public static String template(Map<String, Object> values) {
    return template(values, Map.of());
  }

  /** As {@link #template(Map)}, and {@code --set-file KEY=FILE} for each of {@code files} (a secret stays out of any values file). */
  public static String template(Map<String, Object> values, Map<String, Path> files) {
    TemplateCommand template = new Helm(directory()).template().withName(RELEASE).withNamespace(NAMESPACE);
    if (!values.isEmpty()) {
      template.withValuesFile(valuesFile(values));
    }
    files.forEach(template::setFile);
    return template.call();
  }

  /** {@code values} as a file for {@code --values} (deleted when the JVM exits). */
  public static Path valuesFile(Map<String, Object> values) {
    try {
      Path file = Files.createTempFile("flotilla-values", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(file, yaml(values));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The chart's crds/ files, as Helm installs them before the templates. */
  public static List<Map<String, Object>> crds() {
    List<Map<String, Object>> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(directory().resolve("crds"))) {
      for (Path file : files.sorted().toList()) {
        out.addAll(parse(Files.readString(file)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  public static List<Map<String, Object>> render() {
    return render(Map.of());
  }

  /** Every non-empty YAML document of {@code text}, in order. */
  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> parse(String text) {
    List<Map<String, Object>> out = new ArrayList<>();
    try (MappingIterator<Object> docs = YAML.readerFor(Object.class).readValues(text)) {
      while (docs.hasNext()) {
        Object doc = docs.next();
        if (doc instanceof Map<?, ?> map && !map.isEmpty()) {
          out.add((Map<String, Object>) map);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot parse rendered YAML", e);
    }
    return out;
  }

  /** kind/namespace/name of an object, e.g. {@code Role/default/flotilla-controller}. */
  public static String id(Map<String, Object> object) {
    Map<String, Object> metadata = map(object, "metadata");
    Object namespace = metadata.get("namespace");
    return object.get("kind") + "/" + (namespace == null ? "" : namespace + "/") + metadata.get("name");
  }

  /** The objects keyed by {@link #id}; fails on two objects with one id. */
  public static Map<String, Map<String, Object>> byId(List<Map<String, Object>> objects) {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (Map<String, Object> o : objects) {
      if (out.put(id(o), o) != null) {
        throw new AssertionError("two objects " + id(o));
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> map(Map<String, Object> object, String... path) {
    Map<String, Object> current = object;
    for (String key : path) {
      Object next = current.get(key);
      if (!(next instanceof Map)) {
        return Map.of();
      }
      current = (Map<String, Object>) next;
    }
    return current;
  }

  public static String yaml(Object value) {
    try {
      return YAML.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
