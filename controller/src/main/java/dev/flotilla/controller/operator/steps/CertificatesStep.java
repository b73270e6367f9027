package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.IngressClientModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.CertificateStore;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.EventRecorder;
import io.fabric8.kubernetes.api.model.ConfigMap;

/**
 * The job's certificates: its leaf in {@code <job>-tls} (issued by the CA of its namespace and
 * domain), for terminate mode iflearner's CA ConfigMaps, and for a terminating ingress in front of a
 * Flotilla runtime ingress-nginx's client certificate. Condition {@value StatusModel#CERTIFICATES_READY}.
 */
public final class CertificatesStep implements ReconcileStep {

  public static final String FAILED = "CertificateFailed";

  private final CertificateStore certificates;
  private final ChildApplier applier;
  private final EventRecorder events;

  public CertificatesStep(CertificateStore certificates, ChildApplier applier, EventRecorder events) {
    this.certificates = certificates;
    this.applier = applier;
    this.events = events;
  }

  @Override
  public String conditionType(JobModel job) {
    return StatusModel.CERTIFICATES_READY;
  }

  @Override
  public String failureReason(JobModel job) {
    return FAILED;
  }

  @Override
  public Observation reconcile(JobContext context) {
    JobModel model = context.model();
    CertificateStore.LeafResult leaf = certificates.ensureLeaf(model);
    if (leaf.issued()) {
      events.normal(context.job(), "CertificateIssued", "issued " + model.identityUri() + " for " + CertificateModel.dnsNames(model)
          + " (" + leaf.reason() + ")");
    }
    if (model.tlsMode() == TlsMode.TERMINATE) {
      for (ConfigMap cm : CertificateModel.iflearnerCaConfigMaps(model.namespace(), certificates.namespaceCaBundle(model.namespace()))) {
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
    return new Observation(StatusModel.CERTIFICATES_READY, true, "Issued",
        "Secret " + model.tlsSecretName() + " holds " + model.identityUri() + ", signed by the CA in " + leaf.caRef());
  }
}
