package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.model.CertificateModel;
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
import io.fabric8.kubernetes.api.model.Secret;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The job's certificates: its leaf in {@code <job>-tls} (issued by the CA of its namespace and
 * domain), for terminate mode iflearner's CA ConfigMaps, and for a terminating ingress in front of a
 * Flotilla runtime ingress-nginx's client certificate. A party whose organisation enrolled with a
 * federation mounts that identity instead, and gets no {@code <job>-tls} ({@link EnrolledIdentities}).
 * Condition {@value StatusModel#CERTIFICATES_READY}.
 */
public final class CertificatesStep implements ReconcileStep {

  public static final String FAILED = "CertificateFailed";
  /** An N-pod job whose organisation enrolled one identity: its N hosts have none the federation issued. */
  public static final String ENROLLED_ONE_HOST = "EnrolledIdentityIsOneHost";

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
   * An organisation enrols one identity per job with the federation ({@code --join}), which cannot be the N hosts
   * {@code <party>-p<i>} of spec.virtualPartyPods; certificates of this cluster's own CA would be refused by the
   * federation's aggregator. So such a job fails here, saying so, rather than run pods no aggregator admits.
   */
  private void refuseEnrolledPods(JobModel model) {
    Optional<String> secret = enrolled.enrolledFor(model);
    if (secret.isPresent()) {
      List<JobModel> pods = model.pods();
      throw new StepFailure(ENROLLED_ONE_HOST, "spec.virtualPartyPods " + pods.size() + " needs " + pods.size()
          + " host identities (" + pods.get(0).identityUri() + " ..), but the organisation enrolled one identity with the "
          + "federation (Secret " + secret.get() + "), and the federation's aggregator would refuse certificates of this "
          + "cluster's CA: remove spec.virtualPartyPods to run the job's spec.virtualParties in one pod with the enrolled "
          + "identity, or run the study outside the federation");
    }
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

  @Override
  public Observation reconcile(JobContext context) {
    JobModel model = context.model();
    if (enrolled != null && model.podIndexed()) {
      refuseEnrolledPods(model);
    }
    Optional<EnrolledIdentities.Mounted> identity = enrolled == null || model.podIndexed() ? Optional.empty()
        : enrolled.mount(model);
    if (identity.isPresent()) {
      // a certificate of this cluster's own CA would only be refused by the federation's aggregator
      applier.delete(Secret.class, model.namespace(), model.tlsSecretName(), context.job().getMetadata().getUid());
      deleteStaleSecrets(context, Set.of());
      context.tlsSecretName(identity.get().secretName());
      return new Observation(StatusModel.CERTIFICATES_READY, true, "Enrolled", "Secret " + identity.get().secretName()
          + " holds " + model.identityUri() + " as enrolled with the federation (serial " + identity.get().serial() + ", from "
          + identity.get().source() + ")");
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
