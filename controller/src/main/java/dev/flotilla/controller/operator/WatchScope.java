package dev.flotilla.controller.operator;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which namespaces the controller reconciles: a list it is given (each needs the Role of
 * config/rbac/namespaced), or every namespace (config/cluster-wide's ClusterRole, which grants no
 * Secrets: those come from a RoleBinding per job namespace).
 */
public record WatchScope(boolean allNamespaces, List<String> namespaces) {

  /** A namespace name is one DNS label (RFC 1123). */
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  public WatchScope {
    namespaces = List.copyOf(namespaces);
    if (allNamespaces && !namespaces.isEmpty()) {
      throw new IllegalArgumentException("watch either all namespaces or the ones listed, not both");
    }
    if (!allNamespaces && namespaces.isEmpty()) {
      throw new IllegalArgumentException("no namespace to watch");
    }
    for (String ns : namespaces) {
      if (!NAMESPACE.matcher(ns).matches()) {
        throw new IllegalArgumentException("'" + ns + "' is not a namespace name (lower-case letters, digits and '-', at most 63)");
      }
    }
    if (namespaces.stream().distinct().count() != namespaces.size()) {
      throw new IllegalArgumentException("namespace listed twice: " + namespaces);
    }
  }

  public static WatchScope of(String... namespaces) {
    return new WatchScope(false, List.of(namespaces));
  }

  public static WatchScope all() {
    return new WatchScope(true, List.of());
  }

  public boolean watches(String namespace) {
    return allNamespaces || namespaces.contains(namespace);
  }

  @Override
  public String toString() {
    return allNamespaces ? "all namespaces" : (namespaces.size() == 1 ? "namespace " : "namespaces ") + String.join(", ", namespaces);
  }
}
