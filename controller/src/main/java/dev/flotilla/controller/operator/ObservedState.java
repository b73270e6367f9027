package dev.flotilla.controller.operator;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.join.JoinModel;
import dev.flotilla.controller.model.CertificateAuthorityModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/**
 * What a reconcile reads about objects other than its own job and children: the jobs of a
 * namespace (a server's parties file), the CA Secrets of a job namespace (iflearner's CA
 * ConfigMaps), the join Secrets (which namespaces may use an enrolled identity) and, for a federation member, the
 * Federations of the controller's namespace. A running {@link Controller} answers from its informers' caches
 * ({@link InformerState}); {@link #direct} lists through the API server, for a reconciler driven
 * one job at a time without informers (tests, one-shot runs).
 */
public interface ObservedState {

  /** Every IflearnerJob of {@code namespace}, in no particular order. */
  List<IflearnerJob> jobsIn(String namespace);

  /** The CA Secrets in the controller's namespace that serve {@code jobNamespace} (label {@value CertificateAuthorityModel#NAMESPACE_LABEL}). */
  List<Secret> certificateAuthoritiesFor(String jobNamespace);

  /**
   * The join Secrets of the controller's namespace (type {@value JoinModel#TYPE}): their key {@value JoinModel#NAMESPACES}
   * decides which namespaces' jobs may use an enrolled identity ({@link JoinModel#namespaceRefusal}).
   */
  List<Secret> joinSecrets();

  /**
   * The Federations in the controller's namespace. Asked only of a controller that follows them
   * ({@link ControllerConfig#followFederations}); a failure to read them (no Role: 403) is the step's failure.
   */
  List<Federation> federations();

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

      @Override
      public List<Secret> joinSecrets() {
        return client.secrets().inNamespace(controllerNamespace).withField("type", JoinModel.TYPE).list().getItems();
      }

      @Override
      public List<Federation> federations() {
        return client.resources(Federation.class).inNamespace(controllerNamespace).list().getItems();
      }
    };
  }
}
