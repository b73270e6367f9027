package dev.flotilla.clusters;

/**
 * The kubeconfig each cluster's Kubernetes provider uses: the GKE endpoint and its CA, credentials from
 * {@code gke-gcloud-auth-plugin} (what {@code gcloud container clusters get-credentials} writes), so no long-lived
 * key is in the stack's state. Pure.
 */
public final class Kubeconfigs {

  private Kubeconfigs() {}

  /** {@code caCertificate}: the cluster's CA as GKE reports it (base64 PEM, masterAuth.clusterCaCertificate). */
  public static String gke(String clusterName, String endpoint, String caCertificate) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: %1$s
          cluster:
            server: https://%2$s
            certificate-authority-data: %3$s
        contexts:
        - name: %1$s
          context:
            cluster: %1$s
            user: %1$s
        current-context: %1$s
        users:
        - name: %1$s
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1beta1
              command: gke-gcloud-auth-plugin
              provideClusterInfo: true
              installHint: Install gke-gcloud-auth-plugin (gcloud components install gke-gcloud-auth-plugin)
        """.formatted(clusterName, endpoint, caCertificate);
  }
}
