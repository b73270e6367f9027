package dev.flotilla.controller.operator;

import dev.flotilla.common.logging.LogContext;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.HostAdmission;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.OcmPlacementModel;
import dev.flotilla.controller.model.PlacementEngine;
import dev.flotilla.controller.model.PlacementModel;
import dev.flotilla.controller.model.PodHostClaims;
import dev.flotilla.controller.model.PrivacyModel;
import dev.flotilla.controller.model.VirtualPartiesCheck;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.steps.CertificatesStep;
import dev.flotilla.controller.operator.steps.DnsStep;
import dev.flotilla.controller.operator.steps.GatewayRoute;
import dev.flotilla.controller.operator.steps.IngressRoute;
import dev.flotilla.controller.operator.steps.JobContext;
import dev.flotilla.controller.operator.steps.NetworkPolicyStep;
import dev.flotilla.controller.operator.steps.PartiesFileStep;
import dev.flotilla.controller.operator.steps.PlacementStep;
import dev.flotilla.controller.operator.steps.PodStep;
import dev.flotilla.controller.operator.steps.RouteKind;
import dev.flotilla.controller.operator.steps.RouteStep;
import dev.flotilla.controller.operator.steps.ServiceStep;
import dev.flotilla.controller.operator.steps.StatusStep;
import dev.flotilla.controller.operator.steps.StepChain;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One reconcile of one job: admission of its host, then a flat chain of named steps
 * ({@link StepChain}: certificates, Service, route, NetworkPolicy, DNS, parties file, pod), each
 * desired-vs-actual with a condition of its own, then the status. A step that fails turns into a
 * False condition of its type and an Event; the steps that need it wait; the reconcile reports
 * failure so the caller retries with backoff. Same observed state, same outcome.
 */
public final class IflearnerJobReconciler {

  public static final String FINALIZER = DnsStep.FINALIZER;

  private static final Logger LOG = LoggerFactory.getLogger(IflearnerJobReconciler.class);

  /** How a reconcile ended. {@code requeue}: come back soon even without an event (a pod is being replaced). */
  public record Result(boolean failed, boolean requeue, String summary) {}

  private final KubernetesClient client;
  private final ControllerConfig config;
  private final EventRecorder events;
  private final DnsStep dns;
  private final StepChain steps;
  private final StatusStep status;
  /** The key that proves the claims the status holds ({@link PodHostClaims}). */
  private final ClaimKey claimKey;
  /** Null with {@code --placement none}. */
  private final PlacementStep placement;
  private final StepChain placementChain;
  private final ObservedState observed;

  /** A reconciler that lists what it needs through the API server: for driving it one job at a time without informers. */
  public IflearnerJobReconciler(KubernetesClient client, ControllerConfig config, Clock clock) {
    this(client, config, clock, ObservedState.direct(client, config.controllerNamespace()));
  }

  /** A reconciler that reads other jobs, the CA and the join Secrets from {@code observed} (the controller's informers). */
  public IflearnerJobReconciler(KubernetesClient client, ControllerConfig config, Clock clock, ObservedState observed) {
    this(client, config, clock, observed, null);
  }

  /** The same, and {@code progress} (null: none): running aggregators' progress into status, and their NetworkPolicy letting the controller in. */
  public IflearnerJobReconciler(KubernetesClient client, ControllerConfig config, Clock clock, ObservedState observed,
      ProgressPoller progress) {
    this.client = client;
    this.config = config;
    this.observed = observed;
    this.events = new EventRecorder(client, clock);
    ChildApplier applier = new ChildApplier(client);
    CertificateStore certificates = new CertificateStore(client, applier,
        new CertificateAuthorities(client, config.controllerNamespace(), observed), clock);
    CertificatesStep certificatesStep = new CertificatesStep(certificates, applier, events,
        new EnrolledIdentities(client, applier, config.controllerNamespace(), observed));
    ServiceStep service = new ServiceStep(applier);
    RouteStep route = new RouteStep(service, routeKinds(client, applier, config));
    NetworkPolicyStep isolation = new NetworkPolicyStep(applier, config.isolation(), config.gateway(),
        progress == null ? null : config.controllerNamespace());
    this.dns = new DnsStep(client, config, events, route);
    this.claimKey = new ClaimKey(client, config.controllerNamespace());
    PartiesFileStep parties = new PartiesFileStep(applier, observed, config.publish().hosts(), config.followFederations(), events,
        claimKey);
    PodStep pod = new PodStep(client, applier, events, config.controllerNamespace(), config.podHostAliases(),
        config.followFederations() ? observed : null, List.of(certificatesStep, isolation, parties));
    this.steps = new StepChain(events, List.of(certificatesStep, service, route, isolation, dns, parties, pod));
    this.status = new StatusStep(client, clock, progress, claimKey);
    this.placement = config.placement() == PlacementEngine.NONE ? null : new PlacementStep(client, applier, config.placement());
    this.placementChain = placement == null ? null : new StepChain(events, List.of(placement));
  }

  /** The kinds of route a job may have, the default last. */
  private static List<RouteKind> routeKinds(KubernetesClient client, ChildApplier applier, ControllerConfig config) {
    return List.of(new GatewayRoute(client, applier, config.gateway()), new IngressRoute(client, applier));
  }

  /** One pass over the job; its log lines name it (namespace/name) in their job field. */
  public Result reconcile(String namespace, String name) {
    try (MDC.MDCCloseable ignored = MDC.putCloseable(LogContext.JOB, namespace + "/" + name)) {
      return reconcileJob(namespace, name);
    }
  }

  private Result reconcileJob(String namespace, String name) {
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
    // the host fits the role and may be published: otherwise the job gets nothing at all
    Observation host = HostAdmission.observe(model, config.publish().hosts());
    if (!host.ready()) {
      return refuse(job, model, host);
    }
    Observation privacy = PrivacyModel.observe(model);
    if (privacy != null && !privacy.ready()) {
      return refuse(job, model, privacy, host);
    }
    Observation virtualParties = VirtualPartiesCheck.observe(model);
    if (virtualParties != null && !virtualParties.ready()) {
      return refuse(job, model, virtualParties, host);
    }
    Optional<Observation> hostTaken = PodHostClaims.refusal(model, observed.jobsIn(namespace), claimKey);
    if (hostTaken.isPresent()) {
      return refuse(job, model, hostTaken.get(), host);
    }
    JobContext context = new JobContext(model, config.publish(), config.ingressAddress());
    context.observe(host);
    if (privacy != null) {
      context.observe(privacy);
    }
    if (virtualParties != null) {
      context.observe(virtualParties);
    }
    if (PlacementModel.placed(model, config.placement())) {
      // handed to the multi-cluster engine: a member cluster's controller makes the children, not this one
      placementChain.run(context);
      status.write(context);
      List<String> failures = context.failures();
      return new Result(!failures.isEmpty(), false, failures.isEmpty() ? "placed" : String.join("; ", failures));
    }
    if (placement != null) {
      placement.remove(job, model);
    }
    steps.run(context);
    status.write(context);
    List<String> failures = context.failures();
    if (failures.isEmpty() && dns.nameClaimed(context.observations())) {
      // not an error of the job, but the holder may go without an event this job sees (a person removes a region): retry with backoff
      return new Result(true, context.requeueRequested(), "DNS name held by another owner");
    }
    return new Result(!failures.isEmpty(), context.requeueRequested(), failures.isEmpty() ? "reconciled" : String.join("; ", failures));
  }

  /** A job the controller does not serve: no records in the Corefile, the refusal in its status and one Event. */
  private Result refuse(IflearnerJob job, JobModel model, Observation refusal, Observation... accepted) {
    LOG.info("{}: refused: {}", model.ref(), refusal.message());
    events.warningUnlessReported(job, refusal);
    dns.withdraw(job, model.dnsOwner());
    List<Observation> observations = new java.util.ArrayList<>(List.of(accepted));
    observations.add(refusal);
    status.write(model, observations, null, false);
    return new Result(false, false, "refused: " + refusal.message());
  }

  private Result finalizeDeletion(IflearnerJob job) {
    if (placement != null && job.getMetadata().getFinalizers().contains(OcmPlacementModel.FINALIZER)) {
      try {
        placement.finalizeDeletion(job, new JobModel(job));
      } catch (RuntimeException e) {
        String message = "cannot remove the ManifestWorks of " + job.getMetadata().getNamespace() + "/"
            + job.getMetadata().getName() + ": " + e.getMessage();
        events.warning(job, "PlacementCleanupFailed", message);
        return new Result(true, false, message);
      }
    }
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
}
