package dev.flotilla.controller.operator;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.CertificateAuthorityModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/**
 * What a reconcile reads about objects other than its own job and children: the jobs of a
 * namespace (a server's parties file) and the CA Secrets of a job namespace (iflearner's CA
 * ConfigMaps). A running {@link Controller} answers from its informers' caches
 * ({@link InformerState}); {@link #direct} lists through the API server, for a reconciler driven
 * one job at a time without informers (tests, one-shot runs).
 */
public interface ObservedState {

  /** Every IflearnerJob of {@code namespace}, in no particular order. */
  List<IflearnerJob> jobsIn(String namespace);

  /** The CA Secrets in the controller's namespace that serve {@code jobNamespace} (label {@value CertificateAuthorityModel#NAMESPACE_LABEL}). */
  List<Secret> certificateAuthoritiesFor(String jobNamespace);

  /** Lists through the API server on every call. */
  static ObservedState direct(KubernetesClient client, String controllerNamespace) {
    return new ObservedState() {
      @Override
      public List<IflearnerJob> jobsIn(String namespace) {
        return client.resources(IflearnerJob.class).inNamespace(namespace).list().getItems();
      }

      @Override
      public List<Secret> certificateAuthoritiesFor(String jobNamespace) {
        return client.secrets().inNamespace(controllerNamespace)
            .withLabel(CertificateAuthorityModel.NAMESPACE_LABEL, jobNamespace).list().getItems();
      }
    };
  }
}
