package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Route;
import dev.flotilla.controller.model.DnsModel;
import dev.flotilla.controller.model.IngressAddressChoice;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.EventRecorder;
import dev.flotilla.dns.CoreDnsUpdateException;
import dev.flotilla.dns.CoreDnsUpdater;
import dev.flotilla.dns.CorefileEditor;
import dev.flotilla.dns.DnsRecord;
import dev.flotilla.dns.NameClaimedException;
import dev.flotilla.dns.UpdateResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's CoreDNS record, and the finalizer that removes it. A record is published only as a
 * claim ({@link CoreDnsUpdater#claimRecords}): a host that an earlier region of another owner
 * answers stays with that owner, which the Corefile itself records, so two controllers (or
 * replicas) racing for a name cannot both publish it. A refused claim is the job's
 * {@value StatusModel#DNS_READY}=False condition and one Warning Event; the job's own region, if
 * it had one, is removed. It needs the job's route: a name is published only for a host that is routed.
 */
public final class DnsStep implements ReconcileStep {

  public static final String FINALIZER = "flotilla.dev/coredns-records";
  public static final String NAME_CLAIMED = "NameClaimed";
  public static final String INGRESS_ADDRESS_OVERRIDE_REFUSED = "IngressAddressOverrideRefused";
  public static final String FAILED = "DNSFailed";

  private static final Logger LOG = LoggerFactory.getLogger(DnsStep.class);

  private final KubernetesClient client;
  private final ControllerConfig config;
  private final CoreDnsUpdater dns;
  private final EventRecorder events;
  private final RouteStep route;

  public DnsStep(KubernetesClient client, ControllerConfig config, EventRecorder events, RouteStep route) {
    this.client = client;
    this.config = config;
    this.events = events;
    this.route = route;
    this.dns = new CoreDnsUpdater(client, config.coreDns(), new CorefileEditor(), CoreDnsUpdater.DEFAULT_MAX_ATTEMPTS);
  }

  @Override
  public String conditionType(JobModel job) {
    return StatusModel.DNS_READY;
  }

  @Override
  public String failureReason(JobModel job) {
    return FAILED;
  }

  @Override
  public List<ReconcileStep> needs(JobModel job) {
    return List.of(route);
  }

  @Override
  public Observation reconcile(JobContext context) {
    return publish(context.job(), context.model(), context.address());
  }

  /** Publishes the job's record (or removes it when DNS is off), and says how that went. */
  Observation publish(IflearnerJob job, JobModel model, IngressAddressChoice address) {
    boolean hasFinalizer = job.getMetadata().getFinalizers().contains(FINALIZER);
    if (!model.dnsEnabled()) {
      if (hasFinalizer) {
        withdraw(job, model.dnsOwner());
      }
      return new Observation(StatusModel.DNS_READY, true, "Disabled",
          model.hasHost() ? "spec.dns.enabled is false" : "spec.host is empty: no records");
    }
    String refusal = address.refusalMessage(model.namespace());
    if (address.address() == null) {
      return new Observation(StatusModel.DNS_READY, false, "NoIngressAddress",
          "no address for " + model.host() + ": set the controller's --ingress-address, "
              + (model.route() == Route.GATEWAY && config.gateway() != null
                  ? "or wait for the Gateway " + config.gateway().ref() + " to publish an IP address in its status"
                  : "or wait for the ingress controller to publish one in the Ingress status") + (refusal == null ? "" : "; " + refusal));
    }
    List<DnsRecord> records = DnsModel.records(model, address.address());
    if (!hasFinalizer) {
      // before the records exist, so deleting the job always finds the finalizer
      editFinalizer(job, true);
    }
    UpdateResult result;
    try {
      result = dns.claimRecords(model.dnsOwner(), records);
    } catch (CoreDnsUpdateException e) {
      if (config.podHostAliases() && e.reason() == CoreDnsUpdateException.Reason.CONFIGMAP_NOT_FOUND) {
        // a cluster without CoreDNS: the pods carry the records as hostAliases instead
        return new Observation(StatusModel.DNS_READY, true, "HostAliases", "no CoreDNS ConfigMap " + config.coreDns().namespace() + "/"
            + config.coreDns().name() + ": " + records + " are given to the pods as hostAliases (--pod-host-aliases)");
      }
      throw e;
    } catch (NameClaimedException e) {
      removeRecords(model.dnsOwner()); // a region of ours further down (an older claim) answers nothing and must go
      Observation claimed = new Observation(StatusModel.DNS_READY, false, NAME_CLAIMED,
          model.host() + " is already published " + holder(e.holder(), model.namespace()) + " in " + config.coreDns()
              + ", which keeps it while its job exists; nothing is published for this job");
      LOG.info("{}: {}", model.ref(), claimed.message());
      events.warningUnlessReported(job, claimed);
      return claimed;
    }
    if (result.changed()) {
      events.normal(job, "DNSRecordsUpdated", "CoreDNS " + config.coreDns() + ": " + records);
    }
    String published = model.host() + " -> " + address.address() + " (" + address.source() + ") in " + config.coreDns();
    if (refusal != null) {
      Observation refused = new Observation(StatusModel.DNS_READY, true, INGRESS_ADDRESS_OVERRIDE_REFUSED, refusal + "; published " + published);
      events.warningUnlessReported(job, refused);
      return refused;
    }
    return new Observation(StatusModel.DNS_READY, true, "Published", published);
  }

  /** True when the observations say the job's name is held by another owner. */
  public boolean nameClaimed(List<Observation> observations) {
    return observations.stream().anyMatch(o -> o.type().equals(StatusModel.DNS_READY) && NAME_CLAIMED.equals(o.reason()));
  }

  /** The job's records and its finalizer are removed (DNS switched off, or the job refused). */
  public void withdraw(IflearnerJob job, String owner) {
    if (!job.getMetadata().getFinalizers().contains(FINALIZER)) {
      return;
    }
    removeRecords(owner);
    editFinalizer(job, false);
  }

  /** Removes every record of the owner; nothing to do when the CoreDNS ConfigMap does not exist. */
  public void removeRecords(String owner) {
    ConfigMap coreDns = client.configMaps().inNamespace(config.coreDns().namespace()).withName(config.coreDns().name()).get();
    if (coreDns == null) {
      LOG.info("{} does not exist: no records of {} to remove", config.coreDns(), owner);
      return;
    }
    dns.removeRecords(owner);
  }

  public void editFinalizer(IflearnerJob job, boolean add) {
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

  /** Who holds a name, told without naming another tenant's namespace or job. */
  static String holder(String owner, String namespace) {
    String ownNamespacePrefix = "iflearnerjob/" + namespace + "/";
    if (owner.startsWith(ownNamespacePrefix)) {
      return "by job " + owner.substring(ownNamespacePrefix.length()) + " of this namespace";
    }
    if (owner.startsWith("iflearnerjob/")) {
      return "by a job in another namespace";
    }
    return "by the records of '" + owner + "' (written outside the controller, e.g. with bin/flotilla dns apply)";
  }
}
