package dev.flotilla.controller.operator;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.CertificateAuthorityModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * {@link ObservedState} from the controller's informers: jobs by the informers' namespace index, CA
 * Secrets by an index on the namespace they serve, the join Secrets as their informer holds them. Nothing here
 * calls the API server.
 */
public final class InformerState implements ObservedState {

  /** Index of CA Secrets by the job namespace they serve. */
  static final String CA_FOR_NAMESPACE_INDEX = "ca-for-namespace";

  private final List<SharedIndexInformer<IflearnerJob>> jobs = new CopyOnWriteArrayList<>();
  private volatile SharedIndexInformer<Secret> certificateAuthorities;
  private volatile SharedIndexInformer<Federation> federations;
  private volatile SharedIndexInformer<Secret> joinSecrets;

  /** Adds a job informer (one per watched namespace, or one across all); call before it runs. */
  void addJobs(SharedIndexInformer<IflearnerJob> informer) {
    jobs.add(informer);
  }

  /** Sets the informer on the controller namespace's CA Secrets, indexing them; call before it runs. */
  void certificateAuthorities(SharedIndexInformer<Secret> informer) {
    informer.addIndexers(Map.of(CA_FOR_NAMESPACE_INDEX, (Function<Secret, List<String>>) InformerState::servedNamespace));
    this.certificateAuthorities = informer;
  }

  /** Sets the informer on the Federations of the controller's namespace (a federation member's controller). */
  void federations(SharedIndexInformer<Federation> informer) {
    this.federations = informer;
  }

  /** Sets the informer on the join Secrets of the controller's namespace. */
  void joinSecrets(SharedIndexInformer<Secret> informer) {
    this.joinSecrets = informer;
  }

  static List<String> servedNamespace(Secret secret) {
    Map<String, String> labels = secret.getMetadata().getLabels();
    String ns = labels == null ? null : labels.get(CertificateAuthorityModel.NAMESPACE_LABEL);
    return ns == null ? List.of() : List.of(ns);
  }

  @Override
  public List<IflearnerJob> jobsIn(String namespace) {
    List<IflearnerJob> out = new ArrayList<>();
    jobs.forEach(informer -> out.addAll(informer.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace)));
    return out;
  }

  /** Every job the controller serves. */
  public List<IflearnerJob> allJobs() {
    List<IflearnerJob> out = new ArrayList<>();
    jobs.forEach(informer -> out.addAll(informer.getStore().list()));
    return out;
  }

  @Override
  public List<Secret> certificateAuthoritiesFor(String jobNamespace) {
    SharedIndexInformer<Secret> cas = certificateAuthorities;
    if (cas == null) {
      // an empty answer would write an empty CA bundle into iflearner's ConfigMaps
      throw new IllegalStateException("the informer on the CA Secrets is not running yet");
    }
    return cas.getIndexer().byIndex(CA_FOR_NAMESPACE_INDEX, jobNamespace);
  }

  @Override
  public List<Secret> joinSecrets() {
    SharedIndexInformer<Secret> informer = joinSecrets;
    if (informer == null || !informer.hasSynced()) {
      // an empty answer would leave every enrolled identity open to every namespace
      throw new IllegalStateException("the informer on the join Secrets has not listed them yet");
    }
    return informer.getStore().list();
  }

  @Override
  public List<Federation> federations() {
    SharedIndexInformer<Federation> informer = federations;
    if (informer == null) {
      // asked only when following Federations; an empty answer would drop every member's parties
      throw new IllegalStateException("the informer on the Federations is not running (is the controller a --federation-member?)");
    }
    return informer.getStore().list();
  }
}
