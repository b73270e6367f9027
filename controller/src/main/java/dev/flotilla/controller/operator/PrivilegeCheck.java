package dev.flotilla.controller.operator;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;

/**
 * Asks the API server (SelfSubjectAccessReview, which every authenticated identity may do) whether
 * the controller's identity holds rights it should not need: reading Secrets cluster-wide or in
 * kube-system, or, when it watches a list of namespaces, creating pods in kube-system. Such
 * rights usually come from a ClusterRoleBinding an earlier release installed; the controller runs
 * anyway and says so at start.
 */
public final class PrivilegeCheck {

  /** A namespace no Flotilla job belongs in, whose ServiceAccounts can take the cluster over. */
  public static final String SENSITIVE_NAMESPACE = "kube-system";

  private PrivilegeCheck() {}

  /** What the identity may do beyond its needs, one phrase each (empty when nothing). */
  public static List<String> excess(KubernetesClient client, WatchScope scope) {
    List<String> out = new ArrayList<>();
    if (allowed(client, "list", "secrets", null)) {
      out.add("list Secrets in all namespaces");
    }
    // even across all namespaces, no RoleBinding should grant kube-system's Secrets: no job belongs there
    boolean listed = !scope.allNamespaces() && scope.namespaces().contains(SENSITIVE_NAMESPACE);
    if (!listed && allowed(client, "get", "secrets", SENSITIVE_NAMESPACE)) {
      out.add("read Secrets in " + SENSITIVE_NAMESPACE);
    }
    if (!scope.allNamespaces() && !listed && allowed(client, "create", "pods", SENSITIVE_NAMESPACE)) {
      out.add("create pods in " + SENSITIVE_NAMESPACE);
    }
    return out;
  }

  private static boolean allowed(KubernetesClient client, String verb, String resource, String namespace) {
    SelfSubjectAccessReview review = client.authorization().v1().selfSubjectAccessReview().create(
        new SelfSubjectAccessReviewBuilder().withNewSpec().withNewResourceAttributes()
            .withVerb(verb).withResource(resource).withNamespace(namespace)
            .endResourceAttributes().endSpec().build());
    return review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
  }
}
