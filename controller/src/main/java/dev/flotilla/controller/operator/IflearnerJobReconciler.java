package dev.flotilla.controller.operator;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobStatus;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.ControllerNamespaceCheck;
import dev.flotilla.controller.model.DnsModel;
import dev.flotilla.controller.model.IngressClientModel;
import dev.flotilla.controller.model.IngressModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.NetworkPolicyModel;
import dev.flotilla.controller.model.PodModel;
import dev.flotilla.controller.model.ServiceModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.dns.CoreDnsUpdater;
import dev.flotilla.dns.CorefileEditor;
import dev.flotilla.dns.DnsRecord;
import dev.flotilla.dns.UpdateResult;
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

  public static final String FINALIZER = "flotilla.dev/coredns-records";

  private static final Logger LOG = LoggerFactory.getLogger(IflearnerJobReconciler.class);

  /** How a reconcile ended. {@code requeue}: come back soon even without an event (a pod is being replaced). */
  public record Result(boolean failed, boolean requeue, String summary) {}

  private final KubernetesClient client;
  private final ControllerConfig config;
  private final ChildApplier applier;
  private final CertificateStore certificates;
  private final CoreDnsUpdater dns;
  private final EventRecorder events;
  private final Clock clock;

  public IflearnerJobReconciler(KubernetesClient client, ControllerConfig config, Clock clock) {
    this.client = client;
    this.config = config;
    this.clock = clock;
    this.applier = new ChildApplier(client);
    this.certificates = new CertificateStore(client, applier, new CertificateAuthorities(client, config.controllerNamespace()), clock);
    this.dns = new CoreDnsUpdater(client, config.coreDns(), new CorefileEditor(), CoreDnsUpdater.DEFAULT_MAX_ATTEMPTS);
    this.events = new EventRecorder(client, clock);
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

    List<Observation> observations = new ArrayList<>();
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
    } catch (RuntimeException e) {
      errors.add(fail(job, observations, StatusModel.INGRESS_READY, "ServiceFailed", e));
    }

    // 3. ingress
    Ingress ingress = null;
    if (errors.isEmpty() || observations.stream().noneMatch(o -> o.type().equals(StatusModel.INGRESS_READY))) {
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
    }

    String address = ingressAddress(model, ingress);

    // 4. isolation
    try {
      NetworkPolicy policy = NetworkPolicyModel.desired(model, address, config.isolation());
      if (policy != null) {
        applier.apply(policy);
      } else {
        applier.delete(NetworkPolicy.class, namespace, model.networkPolicyName(), job.getMetadata().getUid());
      }
    } catch (RuntimeException e) {
      errors.add(fail(job, observations, StatusModel.POD_READY, "NetworkPolicyFailed", e));
    }

    // 5. DNS
    try {
      observations.add(reconcileDns(job, model, address));
    } catch (RuntimeException e) {
      errors.add(fail(job, observations, StatusModel.DNS_READY, "DNSFailed", e));
    }

    // 6. pod (after its Secret exists, so it can mount it)
    Pod pod = null;
    try {
      Optional<String> refused = ControllerNamespaceCheck.refusal(model, config.controllerNamespace());
      if (refused.isPresent()) {
        // not even an older pod of the job may keep running there
        applier.delete(Pod.class, namespace, model.podName(), job.getMetadata().getUid());
        throw new TemplateRefused(refused.get());
      }
      Pod desired = PodModel.desired(model);
      Pod actual = client.pods().inNamespace(namespace).withName(model.podName()).get();
      if (actual != null && actual.getMetadata().getDeletionTimestamp() != null) {
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
      if (observations.stream().noneMatch(o -> o.type().equals(StatusModel.POD_READY))) {
        observations.add(StatusModel.podReady(pod));
      }
    } catch (TemplateRefused e) {
      errors.add(fail(job, observations, StatusModel.POD_READY, "TemplateRefused", e));
    } catch (RuntimeException e) {
      errors.add(fail(job, observations, StatusModel.POD_READY, "PodFailed", e));
    }

    writeStatus(job, model, observations, pod, !errors.isEmpty());
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

  private Observation reconcileDns(IflearnerJob job, JobModel model, String address) {
    boolean hasFinalizer = job.getMetadata().getFinalizers().contains(FINALIZER);
    if (!model.dnsEnabled()) {
      if (hasFinalizer) {
        removeRecords(model);
        editFinalizer(job, false);
      }
      return new Observation(StatusModel.DNS_READY, true, "Disabled",
          model.hasHost() ? "spec.dns.enabled is false" : "spec.host is empty: no records");
    }
    if (address == null) {
      return new Observation(StatusModel.DNS_READY, false, "NoIngressAddress",
          "no address for " + model.host() + ": set spec.dns.ingressAddress or the controller's --ingress-address, "
              + "or wait for the ingress controller to publish one in the Ingress status");
    }
    List<DnsRecord> records = DnsModel.records(model, address);
    if (!hasFinalizer) {
      // before the records exist, so deleting the job always finds the finalizer
      editFinalizer(job, true);
    }
    UpdateResult result = dns.replaceRecords(model.dnsOwner(), records);
    if (result.changed()) {
      events.normal(job, "DNSRecordsUpdated", "CoreDNS " + config.coreDns() + ": " + records);
    }
    return new Observation(StatusModel.DNS_READY, true, "Published",
        records.get(0).host() + " -> " + address + " in " + config.coreDns());
  }

  private Result finalizeDeletion(IflearnerJob job) {
    if (!job.getMetadata().getFinalizers().contains(FINALIZER)) {
      return new Result(false, false, "deleting");
    }
    String owner = "iflearnerjob/" + job.getMetadata().getNamespace() + "/" + job.getMetadata().getName();
    try {
      removeRecords(owner);
    } catch (RuntimeException e) {
      String message = "cannot remove CoreDNS records of " + owner + ": " + e.getMessage();
      events.warning(job, "DNSCleanupFailed", message);
      return new Result(true, false, message);
    }
    editFinalizer(job, false);
    LOG.info("{}/{}: removed its CoreDNS records and the finalizer", job.getMetadata().getNamespace(), job.getMetadata().getName());
    return new Result(false, false, "finalized");
  }

  private void removeRecords(JobModel model) {
    removeRecords(model.dnsOwner());
  }

  private void removeRecords(String owner) {
    ConfigMap coreDns = client.configMaps().inNamespace(config.coreDns().namespace()).withName(config.coreDns().name()).get();
    if (coreDns == null) {
      LOG.info("{} does not exist: no records of {} to remove", config.coreDns(), owner);
      return;
    }
    dns.removeRecords(owner);
  }

  private void editFinalizer(IflearnerJob job, boolean add) {
    client.resources(IflearnerJob.class).inNamespace(job.getMetadata().getNamespace()).withName(job.getMetadata().getName())
        .edit(j -> {
          List<String> finalizers = new ArrayList<>(j.getMetadata().getFinalizers());
          finalizers.remove(FINALIZER);
          if (add) {
            finalizers.add(FINALIZER);
          }
          j.getMetadata().setFinalizers(finalizers);
          return j;
        });
  }

  /** spec.dns.ingressAddress, else the controller's --ingress-address, else the Ingress status. */
  private String ingressAddress(JobModel model, Ingress ingress) {
    if (model.specIngressAddress() != null) {
      return model.specIngressAddress();
    }
    if (config.ingressAddress() != null) {
      return config.ingressAddress();
    }
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

  private void writeStatus(IflearnerJob job, JobModel model, List<Observation> observations, Pod pod, boolean failed) {
    IflearnerJob latest = client.resources(IflearnerJob.class).inNamespace(job.getMetadata().getNamespace())
        .withName(job.getMetadata().getName()).get();
    if (latest == null) {
      return;
    }
    IflearnerJobStatus status = StatusModel.build(model, latest.getStatus(), observations, pod, failed, clock.instant());
    if (status.equals(latest.getStatus())) {
      return;
    }
    latest.setStatus(status);
    client.resource(latest).patchStatus();
  }
}
