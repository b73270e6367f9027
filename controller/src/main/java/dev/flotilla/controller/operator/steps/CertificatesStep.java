package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.EnrolledIdentityModel;
import dev.flotilla.controller.model.IngressClientModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.model.VirtualPartiesModel;
import dev.flotilla.controller.operator.CertificateStore;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.EnrolledIdentities;
import dev.flotilla.controller.operator.EventRecorder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The job's certificates: its leaf in {@code <job>-tls} (issued by the CA of its namespace and
 * domain), for terminate mode iflearner's CA ConfigMaps, and for a terminating ingress in front of a
 * Flotilla runtime ingress-nginx's client certificate. A party whose organisation enrolled with a
 * federation mounts that identity instead, and gets no {@code <job>-tls} ({@link EnrolledIdentities}); each pod of an
 * N-pod job of such an organisation mounts an identity of its own the federation issued.
 * Condition {@value StatusModel#CERTIFICATES_READY}.
 */
public final class CertificatesStep implements ReconcileStep {

  public static final String FAILED = "CertificateFailed";
  /** An N-pod job whose organisation enrolled with a federation, whose pods did not get identities of it. */
  public static final String ENROLLED_PODS_FAILED = "EnrolledPodIdentityFailed";
  /** A job whose namespace the join Secret of its organisation's enrolled identity does not allow. */
  public static final String NAMESPACE_REFUSED = "EnrolledIdentityNamespaceRefused";

  private final CertificateStore certificates;
  private final ChildApplier applier;
  private final EventRecorder events;
  private final EnrolledIdentities enrolled;

  public CertificatesStep(CertificateStore certificates, ChildApplier applier, EventRecorder events) {
    this(certificates, applier, events, null);
  }

  /** @param enrolled the enrolled identities parties may mount (null: none) */
  public CertificatesStep(CertificateStore certificates, ChildApplier applier, EventRecorder events, EnrolledIdentities enrolled) {
    this.certificates = certificates;
    this.applier = applier;
    this.events = events;
    this.enrolled = enrolled;
  }

  @Override
  public String conditionType(JobModel job) {
    return StatusModel.CERTIFICATES_READY;
  }

  @Override
  public String failureReason(JobModel job) {
    return FAILED;
  }

  /** iflearner's CA ConfigMaps holding {@code bundle}, for a job in terminate mode; none in passthrough. Pure. */
  static List<ConfigMap> caConfigMaps(JobModel job, String bundle) {
    return job.tlsMode() == TlsMode.TERMINATE ? CertificateModel.iflearnerCaConfigMaps(job.namespace(), bundle) : List.of();
  }

  /**
   * An N-pod job whose organisation enrolled with a federation: each pod mounts an identity the federation's
   * coordinator issued against the organisation's ({@link EnrolledIdentities#mountPods}), since certificates of this
   * cluster's own CA would be refused by the federation's aggregator. Empty when the organisation enrolled none.
   */
  private Optional<Observation> enrolledPods(JobContext context) {
    JobModel model = context.model();
    Optional<List<EnrolledIdentities.Mounted>> mounted;
    try {
      mounted = enrolled.mountPods(model);
    } catch (EnrolledIdentities.PodIdentitiesUnavailable e) {
      throw new StepFailure(ENROLLED_PODS_FAILED, e.getMessage());
    }
    if (mounted.isEmpty()) {
      return Optional.empty();
    }
    List<EnrolledIdentities.Mounted> secrets = mounted.get();
    List<JobModel> pods = model.pods();
    for (int i = 0; i < pods.size(); i++) {
      context.podTlsSecretName(pods.get(i).podIndex(), secrets.get(i).secretName());
    }
    deleteStaleSecrets(context, Set.of());
    EnrolledIdentities.Mounted first = secrets.get(0);
    EnrolledIdentities.Mounted last = secrets.get(secrets.size() - 1);
    return Optional.of(new Observation(StatusModel.CERTIFICATES_READY, true, "Enrolled", "Secrets " + first.secretName()
        + " .. " + last.secretName() + " hold " + pods.get(0).identityUri() + " .. " + pods.get(pods.size() - 1).identityUri()
        + ", issued by the federation against the organisation's enrolled identity " + EnrolledIdentityModel.secretName(model)
        + " (serials " + secrets.stream().map(EnrolledIdentities.Mounted::serial).collect(Collectors.joining(", ")) + ")"));
  }

  /** Deletes the pod certificate Secrets the job owns but its pods no longer mount (spec.virtualPartyPods lowered or removed). */
  private void deleteStaleSecrets(JobContext context, Set<String> wanted) {
    JobModel model = context.model();
    String uid = context.job().getMetadata().getUid();
    List<String> owned = applier.ownedNames(Secret.class, model.namespace(), model.selectorLabels(), uid);
    for (String stale : VirtualPartiesModel.staleTlsSecrets(model, owned, wanted)) {
      applier.delete(Secret.class, model.namespace(), stale, uid);
    }
  }

  /** The job's enrolled identity or its pods' (empty: its organisation enrolled none); a refused namespace fails the step. */
  private Optional<Observation> enrolledIdentity(JobContext context) {
    if (enrolled == null) {
      return Optional.empty();
    }
    try {
      return context.model().podIndexed() ? enrolledPods(context) : enrolledJob(context);
    } catch (EnrolledIdentities.NamespaceRefused e) {
      // what was made while the namespace was still allowed goes: the copies, and the pods, whose mounted files
      // outlive a deleted Secret; a refused job must not speak as the organisation
      JobModel model = context.model();
      String uid = context.job().getMetadata().getUid();
      Set<String> copies = new java.util.LinkedHashSet<>();
      copies.add(EnrolledIdentityModel.secretName(model));
      model.pods().forEach(pod -> copies.add(EnrolledIdentityModel.podSecretName(pod)));
      for (String copy : copies) {
        applier.delete(Secret.class, model.namespace(), copy, uid);
      }
      for (JobModel pod : model.pods()) {
        applier.delete(Pod.class, model.namespace(), pod.podName(), uid);
      }
      throw new StepFailure(NAMESPACE_REFUSED, e.getMessage());
    }
  }

  /** A one-pod party job that mounts the identity its organisation enrolled with; empty when there is none that fits. */
  private Optional<Observation> enrolledJob(JobContext context) {
    JobModel model = context.model();
    Optional<EnrolledIdentities.Mounted> identity = enrolled.mount(model);
    if (identity.isEmpty()) {
      return Optional.empty();
    }
    // a certificate of this cluster's own CA would only be refused by the federation's aggregator
    applier.delete(Secret.class, model.namespace(), model.tlsSecretName(), context.job().getMetadata().getUid());
    deleteStaleSecrets(context, Set.of());
    context.tlsSecretName(identity.get().secretName());
    return Optional.of(new Observation(StatusModel.CERTIFICATES_READY, true, "Enrolled", "Secret " + identity.get().secretName()
        + " holds " + model.identityUri() + " as enrolled with the federation (serial " + identity.get().serial() + ", from "
        + identity.get().source() + ")"));
  }

  @Override
  public Observation reconcile(JobContext context) {
    JobModel model = context.model();
    Optional<Observation> enrolledObservation = enrolledIdentity(context);
    if (enrolledObservation.isPresent()) {
      return enrolledObservation.get();
    }
    CertificateStore.LeafResult leaf = null;
    for (JobModel pod : model.pods()) {
      // one per pod: spec.virtualPartyPods gives each party pod a host identity of its own
      leaf = certificates.ensureLeaf(pod);
      if (leaf.issued()) {
        events.normal(context.job(), "CertificateIssued", "issued " + pod.identityUri() + " for " + CertificateModel.dnsNames(pod)
            + " (" + leaf.reason() + ")");
      }
    }
    deleteStaleSecrets(context, model.pods().stream().map(JobModel::tlsSecretName).collect(Collectors.toSet()));
    if (model.tlsMode() == TlsMode.TERMINATE) {
      for (ConfigMap cm : caConfigMaps(model, certificates.namespaceCaBundle(model.namespace()))) {
        applier.apply(cm);
      }
    }
    if (IngressClientModel.required(model)) {
      CertificateStore.LeafResult ingressClient = certificates.ensureIngressClient(model);
      if (ingressClient.issued()) {
        events.normal(context.job(), "CertificateIssued", "issued " + IngressClientModel.identityUri(model.domain())
            + " (ingress-nginx's client certificate) in Secret " + model.ingressClientSecretName() + " (" + ingressClient.reason() + ")");
      }
    }
    List<JobModel> pods = model.pods();
    JobModel last = pods.get(pods.size() - 1);
    return new Observation(StatusModel.CERTIFICATES_READY, true, "Issued", pods.size() == 1 && last.podIndex() == null
        ? "Secret " + model.tlsSecretName() + " holds " + model.identityUri() + ", signed by the CA in " + leaf.caRef()
        : "Secrets " + pods.get(0).tlsSecretName() + " .. " + last.tlsSecretName() + " hold " + pods.get(0).identityUri()
            + " .. " + last.identityUri() + ", signed by the CA in " + leaf.caRef());
  }
}
