package dev.flotilla.controller.operator;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobStatus;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.HostAdmission;
import dev.flotilla.controller.model.IngressAddressChoice;
import dev.flotilla.controller.model.ControllerNamespaceCheck;
import dev.flotilla.controller.model.IngressClientModel;
import dev.flotilla.controller.model.IngressModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.NetworkPolicyModel;
import dev.flotilla.controller.model.PodModel;
import dev.flotilla.controller.model.PodOutcome;
import dev.flotilla.controller.model.ProgressTarget;
import dev.flotilla.protocol.status.JobSummary;
import dev.flotilla.controller.model.ServiceModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reconcile of one job: a flat chain of named steps, each desired-vs-actual, then the
 * status. A step that fails turns into a False condition and an Event; the reconcile reports
 * failure so the caller retries with backoff. Same observed state, same outcome.
 */
public final class IflearnerJobReconciler {

  public static final String FINALIZER = DnsStep.FINALIZER;

  private static final Logger LOG = LoggerFactory.getLogger(IflearnerJobReconciler.class);

  /** How a reconcile ended. {@code requeue}: come back soon even without an event (a pod is being replaced). */
  public record Result(boolean failed, boolean requeue, String summary) {}

  private final KubernetesClient client;
  private final ControllerConfig config;
  private final ChildApplier applier;
  private final CertificateStore certificates;
  private final DnsStep dns;
  private final PartiesStep parties;
  private final EventRecorder events;
  private final Clock clock;
  /** Live progress of running aggregators, or null when the controller does not poll them. */
  private final ProgressPoller progress;

  public IflearnerJobReconciler(KubernetesClient client, ControllerConfig config, Clock clock) {
    this(client, config, clock, null);
  }

  public IflearnerJobReconciler(KubernetesClient client, ControllerConfig config, Clock clock, ProgressPoller progress) {
    this.progress = progress;
    this.client = client;
    this.config = config;
    this.clock = clock;
    this.applier = new ChildApplier(client);
    this.certificates = new CertificateStore(client, applier, new CertificateAuthorities(client, config.controllerNamespace()), clock);
    this.events = new EventRecorder(client, clock);
    this.dns = new DnsStep(client, config, events);
    this.parties = new PartiesStep(client, applier, config);
  }

  public Result reconcile(String namespace, String name) {
    IflearnerJob job = client.resources(IflearnerJob.class).inNamespace(namespace).withName(name).get();
    if (job == null) {
      return new Result(false, false, "gone");
    }
    if (job.getMetadata().getDeletionTimestamp() != null) {
      return finalizeDeletion(job);
    }
    JobModel model;
    try {
      model = new JobModel(job);
    } catch (IllegalArgumentException e) {
      events.warning(job, "InvalidSpec", e.getMessage());
      return new Result(true, false, e.getMessage());
    }
    // 0. the host fits the role and may be published: otherwise the job gets nothing at all
    Observation host = HostAdmission.observe(model, config.publish().hosts());
    if (!host.ready()) {
      return refuse(job, model, host);
    }

    List<Observation> observations = new ArrayList<>(List.of(host));
    List<String> errors = new ArrayList<>();
    boolean requeue = false;

    // 1. certificates: CA of the namespace and domain, the job's leaf, the iflearner CA ConfigMaps
    try {
      CertificateStore.LeafResult leaf = certificates.ensureLeaf(model);
      if (leaf.issued()) {
        events.normal(job, "CertificateIssued", "issued " + model.identityUri() + " for " + CertificateModel.dnsNames(model)
            + " (" + leaf.reason() + ")");
      }
      if (model.tlsMode() == TlsMode.TERMINATE) {
        for (ConfigMap cm : CertificateModel.iflearnerCaConfigMaps(namespace, certificates.namespaceCaBundle(namespace))) {
          applier.apply(cm);
        }
      }
      if (IngressClientModel.required(model)) {
        CertificateStore.LeafResult ingressClient = certificates.ensureIngressClient(model);
        if (ingressClient.issued()) {
          events.normal(job, "CertificateIssued", "issued " + IngressClientModel.identityUri(model.domain())
              + " (ingress-nginx's client certificate) in Secret " + model.ingressClientSecretName() + " (" + ingressClient.reason() + ")");
        }
      }
      observations.add(new Observation(StatusModel.CERTIFICATES_READY, true, "Issued",
          "Secret " + model.tlsSecretName() + " holds " + model.identityUri() + ", signed by the CA in " + leaf.caRef()));
    } catch (RuntimeException e) {
      errors.add(fail(job, observations, StatusModel.CERTIFICATES_READY, "CertificateFailed", e));
    }

    // 2. service
    try {
      applier.apply(ServiceModel.desired(model));
      observations.add(new Observation(StatusModel.SERVICE_READY, true, "Applied", "Service " + model.serviceName()
          + " selects the job's pod on port " + model.grpcPort()));
    } catch (RuntimeException e) {
      errors.add(fail(job, observations, StatusModel.SERVICE_READY, "ServiceFailed", e));
    }

    // 3. ingress
    Ingress ingress = null;
    try {
      Ingress desired = IngressModel.desired(model);
      if (desired == null) {
        observations.add(new Observation(StatusModel.INGRESS_READY, true, "NoHost", "spec.host is empty: no Ingress"));
      } else {
        applier.apply(desired);
        ingress = client.resource(desired).get();
        observations.add(new Observation(StatusModel.INGRESS_READY, true, "Applied",
            "Ingress " + model.ingressName() + " routes " + model.host() + " (" + model.tlsMode().wireName() + ") to "
                + model.serviceName() + ":" + model.grpcPort()));
      }
    } catch (RuntimeException e) {
      errors.add(fail(job, observations, StatusModel.INGRESS_READY, "IngressFailed", e));
    }

    IngressAddressChoice address = IngressAddressChoice.choose(model, config.publish(), config.ingressAddress(), statusAddress(ingress));

    // 4. isolation
    try {
      NetworkPolicy policy = NetworkPolicyModel.desired(model, address.address(), config.isolation(),
          progress == null ? null : config.controllerNamespace());
      if (policy != null) {
        applier.apply(policy);
        observations.add(new Observation(StatusModel.NETWORK_POLICY_READY, true, "Applied",
            "NetworkPolicy " + model.networkPolicyName() + " lets in only the job's peers, the ingress and metrics scrapers"));
      } else {
        applier.delete(NetworkPolicy.class, namespace, model.networkPolicyName(), job.getMetadata().getUid());
        observations.add(new Observation(StatusModel.NETWORK_POLICY_READY, true, "Disabled", "spec.isolation.enabled is false"));
      }
    } catch (RuntimeException e) {
      errors.add(fail(job, observations, StatusModel.NETWORK_POLICY_READY, "NetworkPolicyFailed", e));
    }

    // 5. DNS
    try {
      observations.add(dns.publish(job, model, address));
    } catch (RuntimeException e) {
      errors.add(fail(job, observations, StatusModel.DNS_READY, "DNSFailed", e));
    }

    // 6. a Flotilla server's parties file (before its pod, which mounts it)
    try {
      parties.apply(model);
    } catch (RuntimeException e) {
      errors.add(fail(job, observations, StatusModel.POD_READY, "PartiesFailed", e));
    }

    // 7. pod (after its Secret exists, so it can mount it), and what it says about the job
    Pod pod = null;
    PodOutcome outcome = null;
    try {
      Optional<String> refused = ControllerNamespaceCheck.refusal(model, config.controllerNamespace());
      if (refused.isPresent()) {
        // not even an older pod of the job may keep running there
        applier.delete(Pod.class, namespace, model.podName(), job.getMetadata().getUid());
        throw new TemplateRefused(refused.get());
      }
      Pod desired = PodModel.desired(model, config.podHostAliases() ? address.address() : null);
      Pod actual = client.pods().inNamespace(namespace).withName(model.podName()).get();
      if (PodOutcome.ended(job)) {
        // a job that ended stays ended: its pod is neither replaced (a new controller's defaults) nor made again
        // (deleted); editing spec (a new generation) or re-creating the job runs it again
        pod = actual;
        if (actual == null) {
          outcome = PodOutcome.endedWithoutPod(job);
        }
      } else if (actual == null && config.podHostAliases() && model.dnsEnabled() && address.address() == null) {
        // its host aliases need the address, and a pod cannot gain them later without being replaced:
        // the Ingress status (an event on a child) brings the job back
        observations.add(new Observation(StatusModel.POD_READY, false, "WaitingForIngressAddress", "the pod is made once the "
            + "ingress address is known (--pod-host-aliases): set --ingress-address, or wait for the ingress controller to "
            + "publish it in the status of Ingress " + model.ingressName()));
      } else if (actual != null && actual.getMetadata().getDeletionTimestamp() != null) {
        requeue = true;
        pod = actual;
      } else if (actual != null && !Objects.equals(annotation(actual), annotation(desired))) {
        LOG.info("{}: spec.template changed, replacing pod {}", model.ref(), model.podName());
        events.normal(job, "PodReplaced", "spec.template changed: deleting pod " + model.podName() + " to create it anew");
        client.pods().inNamespace(namespace).withName(model.podName()).delete();
        requeue = true;
        pod = null;
      } else {
        applyPod(desired);
        pod = client.pods().inNamespace(namespace).withName(model.podName()).get();
      }
      if (outcome == null) {
        outcome = PodOutcome.of(model, pod);
      }
      if (observations.stream().noneMatch(o -> o.type().equals(StatusModel.POD_READY))) {
        observations.add(outcome.podReady());
        reportOutcome(job, model, outcome);
      }
    } catch (TemplateRefused e) {
      errors.add(fail(job, observations, StatusModel.POD_READY, "TemplateRefused", e));
    } catch (RuntimeException e) {
      errors.add(fail(job, observations, StatusModel.POD_READY, "PodApplyFailed", e));
    }

    if (progress != null) {
      progress.observe(model.namespace() + "/" + model.name(), ProgressTarget.of(model, pod));
    }
    writeStatus(job, model, observations, outcome, !errors.isEmpty());
    if (errors.isEmpty() && dns.nameClaimed(observations)) {
      // not an error of the job, but the holder may go without an event this job sees (a person removes a region): retry with backoff
      return new Result(true, requeue, "DNS name held by another owner");
    }
    return new Result(!errors.isEmpty(), requeue, errors.isEmpty() ? "reconciled" : String.join("; ", errors));
  }

  /** A template the controller will not run where it is (see {@link ControllerNamespaceCheck}). */
  private static final class TemplateRefused extends RuntimeException {
    TemplateRefused(String message) {
      super(message);
    }
  }

  private void applyPod(Pod desired) {
    try {
      applier.apply(desired);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 422) {
        throw e;
      }
      // an edit the API server refuses to apply in place (an immutable field): make it anew
      client.pods().inNamespace(desired.getMetadata().getNamespace()).withName(desired.getMetadata().getName()).delete();
      throw new IllegalStateException("pod " + desired.getMetadata().getName() + " could not be patched in place ("
          + e.getStatus().getMessage() + "); deleted it, it is made again on the next pass", e);
    }
  }

  private static String annotation(Pod pod) {
    return pod.getMetadata().getAnnotations() == null ? null
        : pod.getMetadata().getAnnotations().get(PodModel.TEMPLATE_HASH_ANNOTATION);
  }

  /** A job the controller does not serve: no records in the Corefile, the refusal in its status and one Event. */
  private Result refuse(IflearnerJob job, JobModel model, Observation host) {
    LOG.info("{}: refused: {}", model.ref(), host.message());
    events.warningUnlessReported(job, host);
    dns.withdraw(job, model.dnsOwner());
    writeStatus(job, model, List.of(host), null, false);
    return new Result(false, false, "refused: " + host.message());
  }

  private Result finalizeDeletion(IflearnerJob job) {
    if (!job.getMetadata().getFinalizers().contains(FINALIZER)) {
      return new Result(false, false, "deleting");
    }
    String owner = "iflearnerjob/" + job.getMetadata().getNamespace() + "/" + job.getMetadata().getName();
    try {
      dns.removeRecords(owner);
    } catch (RuntimeException e) {
      String message = "cannot remove CoreDNS records of " + owner + ": " + e.getMessage();
      events.warning(job, "DNSCleanupFailed", message);
      return new Result(true, false, message);
    }
    dns.editFinalizer(job, false);
    LOG.info("{}/{}: removed its CoreDNS records and the finalizer", job.getMetadata().getNamespace(), job.getMetadata().getName());
    return new Result(false, false, "finalized");
  }

  /** The address ingress-nginx published in the Ingress status, or null. */
  private static String statusAddress(Ingress ingress) {
    if (ingress != null && ingress.getStatus() != null && ingress.getStatus().getLoadBalancer() != null
        && ingress.getStatus().getLoadBalancer().getIngress() != null) {
      for (IngressLoadBalancerIngress lb : ingress.getStatus().getLoadBalancer().getIngress()) {
        if (lb.getIp() != null && !lb.getIp().isBlank()) {
          return lb.getIp();
        }
      }
    }
    return null;
  }

  private String fail(IflearnerJob job, List<Observation> observations, String conditionType, String reason, RuntimeException e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    LOG.warn("{}/{}: {}: {}", job.getMetadata().getNamespace(), job.getMetadata().getName(), reason, message, e);
    observations.removeIf(o -> o.type().equals(conditionType));
    observations.add(new Observation(conditionType, false, reason, message));
    events.warning(job, reason, message);
    return reason + ": " + message;
  }

  /**
   * Events for what the pod says: a Warning for an image that cannot be pulled, a crash loop or a
   * failure (once while the status reports it), a Normal event when the job first shows Succeeded.
   */
  private void reportOutcome(IflearnerJob job, JobModel model, PodOutcome outcome) {
    String reason = outcome.podReady().reason();
    if (PodOutcome.WARNINGS.contains(reason)) {
      LOG.info("{}: {}: {}", model.ref(), reason, outcome.podReady().message());
      events.warningUnlessReported(job, outcome.podReady());
    }
    String before = job.getStatus() == null ? null : job.getStatus().getPhase();
    if (PodOutcome.SUCCEEDED.equals(outcome.phase()) && !PodOutcome.SUCCEEDED.equals(before)) {
      LOG.info("{}: succeeded: {}", model.ref(), outcome.podReady().message());
      events.normal(job, "Succeeded", outcome.podReady().message());
    }
  }

  private void writeStatus(IflearnerJob job, JobModel model, List<Observation> observations, PodOutcome outcome, boolean failed) {
    IflearnerJob latest = client.resources(IflearnerJob.class).inNamespace(job.getMetadata().getNamespace())
        .withName(job.getMetadata().getName()).get();
    if (latest == null) {
      return;
    }
    JobSummary live = progress == null ? null : progress.latest(model.namespace() + "/" + model.name()).orElse(null);
    IflearnerJobStatus status = StatusModel.build(model, latest.getStatus(), observations, outcome, live, failed, clock.instant());
    if (status.equals(latest.getStatus())) {
      return;
    }
    latest.setStatus(status);
    client.resource(latest).patchStatus();
  }
}
