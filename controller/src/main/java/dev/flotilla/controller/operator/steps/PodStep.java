package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.federation.CoordinatorAddress;
import dev.flotilla.controller.federation.PeerHostAddresses;
import dev.flotilla.controller.model.ControllerNamespaceCheck;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PartyPodsOutcome;
import dev.flotilla.controller.model.PeerModel;
import dev.flotilla.controller.model.PodModel;
import dev.flotilla.controller.model.PodOutcome;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.EventRecorder;
import dev.flotilla.controller.operator.ObservedState;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's pod ({@link PodModel}) and what it says about the job ({@link PodOutcome}): made when
 * missing, replaced when {@code spec.template} changed (the template hash), left alone once the job
 * ended. It needs the certificates it mounts, the NetworkPolicy that fences it in, and for a
 * Flotilla server the parties file it mounts; while one of them is not ready it makes and changes no
 * pod, and still reads the pod that exists for the job's phase. Condition
 * {@value StatusModel#POD_READY}.
 *
 * <p>With host aliases, a party's server host points at this cluster's ingress; in a federation member's
 * controller ({@code --federation-member}), at the coordinator's address from the Federation of its domain held
 * in the controller's namespace (a party organisation's mirror), read from the controller's cache. A controller
 * that is no member reads no Federation (and needs no Role on them). A running pod cannot change its hostAliases: when that address changes, the pod's template
 * hash changes and the pod is replaced at the job's next reconcile (the resync at the latest); the new
 * party rejoins the job. CoreDNS's records, rewritten at once, are the primary path.
 */
public final class PodStep implements ReconcileStep {

  public static final String FAILED = "PodApplyFailed";
  public static final String TEMPLATE_REFUSED = "TemplateRefused";
  public static final String WAITING_FOR_INGRESS_ADDRESS = "WaitingForIngressAddress";

  private static final Logger LOG = LoggerFactory.getLogger(PodStep.class);

  private final KubernetesClient client;
  private final ChildApplier applier;
  private final EventRecorder events;
  private final String controllerNamespace;
  private final boolean podHostAliases;
  private final ObservedState federations;
  private final List<ReconcileStep> needs;

  /**
   * @param podHostAliases whether pods get the job's DNS records as hostAliases (then a new pod waits for the ingress address)
   * @param federations where a federation member's controller reads its Federations, or null: it is no member
   * @param needs the certificates, NetworkPolicy and parties-file steps
   */
  public PodStep(KubernetesClient client, ChildApplier applier, EventRecorder events, String controllerNamespace,
      boolean podHostAliases, ObservedState federations, List<ReconcileStep> needs) {
    this.client = client;
    this.applier = applier;
    this.events = events;
    this.controllerNamespace = controllerNamespace;
    this.podHostAliases = podHostAliases;
    this.federations = federations;
    this.needs = List.copyOf(needs);
  }

  @Override
  public String conditionType(JobModel job) {
    return StatusModel.POD_READY;
  }

  @Override
  public String failureReason(JobModel job) {
    return FAILED;
  }

  @Override
  public List<ReconcileStep> needs(JobModel job) {
    return needs;
  }

  @Override
  public Observation reconcile(JobContext context) {
    JobModel model = context.model();
    IflearnerJob job = context.job();
    String namespace = model.namespace();
    Optional<String> refused = ControllerNamespaceCheck.refusal(model, controllerNamespace);
    if (refused.isPresent()) {
      // not even an older pod of the job may keep running there
      for (JobModel pod : model.pods()) {
        applier.delete(Pod.class, namespace, pod.podName(), job.getMetadata().getUid());
      }
      throw new StepFailure(TEMPLATE_REFUSED, refused.get());
    }
    List<PodResult> results = new ArrayList<>();
    for (JobModel pod : model.pods()) {
      results.add(reconcilePod(context, pod));
    }
    deleteStrayPods(context);
    context.pod(results.get(0).pod());
    PodOutcome outcome = combined(context, results.stream().map(PodResult::outcome).toList());
    Optional<Observation> waiting = results.stream().map(PodResult::waiting).filter(Objects::nonNull).findFirst();
    if (waiting.isPresent()) {
      context.outcome(outcome);
      return waiting.get();
    }
    return report(context, outcome);
  }

  /** One pod's state after its step: the pod (null: none), its outcome, and what it waits for (null: nothing). */
  private record PodResult(Pod pod, PodOutcome outcome, Observation waiting) {}

  /** Makes, replaces or keeps the pod of {@code podModel}, the job itself or one of its party pods. */
  private PodResult reconcilePod(JobContext context, JobModel podModel) {
    IflearnerJob job = context.job();
    String namespace = podModel.namespace();
    String name = podModel.podName();
    Pod desired = desired(context, podModel);
    Pod actual = client.pods().inNamespace(namespace).withName(name).get();
    Pod pod;
    switch (action(context, actual, desired)) {
      case ENDED_WITHOUT_POD:
        return new PodResult(null, PodOutcome.endedWithoutPod(job), null);
      case WAIT_FOR_ADDRESS:
        return new PodResult(null, PodOutcome.of(podModel, null), new Observation(StatusModel.POD_READY, false,
            WAITING_FOR_INGRESS_ADDRESS, "the pod is made once the ingress address is known (--pod-host-aliases): set "
            + "--ingress-address, or wait for the ingress controller to publish it in the status of Ingress "
            + podModel.ingressName()));
      case WAIT_FOR_DELETION:
        context.requeue();
        pod = actual;
        break;
      case REPLACE:
        LOG.info("{}: spec.template changed, replacing pod {}", podModel.ref(), name);
        events.normal(job, "PodReplaced", "spec.template changed: deleting pod " + name + " to create it anew");
        client.pods().inNamespace(namespace).withName(name).delete();
        context.requeue();
        pod = null;
        break;
      case APPLY:
        applyPod(desired);
        pod = client.pods().inNamespace(namespace).withName(name).get();
        break;
      case KEEP_ENDED:
      default:
        pod = actual;
    }
    return new PodResult(pod, PodOutcome.of(podModel, pod), null);
  }

  /**
   * Deletes the job's pods it no longer has: {@code <job>-p<i>} beyond spec.virtualPartyPods, or all of them
   * once the field is gone, and {@code <job>} once it is set. Only pods the job owns.
   */
  private void deleteStrayPods(JobContext context) {
    JobModel model = context.model();
    Set<String> wanted = model.pods().stream().map(JobModel::podName).collect(Collectors.toSet());
    List<Pod> owned = client.pods().inNamespace(model.namespace()).withLabels(model.selectorLabels()).list().getItems();
    for (Pod pod : owned) {
      if (!wanted.contains(pod.getMetadata().getName())) {
        LOG.info("{}: deleting pod {}, not one of the job's pods any more", model.ref(), pod.getMetadata().getName());
        applier.delete(Pod.class, model.namespace(), pod.getMetadata().getName(), context.job().getMetadata().getUid());
      }
    }
  }

  /** The job's outcome: its one pod's, or its party pods' together (whose counts go to the status). */
  private static PodOutcome combined(JobContext context, List<PodOutcome> outcomes) {
    if (!context.model().podIndexed()) {
      return outcomes.get(0);
    }
    PartyPodsOutcome pods = PartyPodsOutcome.of(outcomes);
    context.partyPods(pods);
    return pods.outcome();
  }

  /** What to do with the job's pod. */
  enum Action {
    /** The job ended and its pod is there: leave it as it is. */
    KEEP_ENDED,
    /** The job ended and its pod is gone: it is not made again. */
    ENDED_WITHOUT_POD,
    /** No pod yet, and its host aliases need the ingress address, not known yet. */
    WAIT_FOR_ADDRESS,
    /** The pod is being deleted (replaced): come back when it is gone. */
    WAIT_FOR_DELETION,
    /** The template changed: delete the pod so it is made anew. */
    REPLACE,
    /** Make the pod, or bring it to the desired state. */
    APPLY
  }

  /** The pod the job should have: its template under the controller's defaults, with host aliases when asked for. */
  Pod desired(JobContext context) {
    return desired(context, context.model());
  }

  /** The pod of {@code podModel} (the job, or one of its party pods); a party pod mounts its own Secret. */
  Pod desired(JobContext context, JobModel podModel) {
    String secret = podModel.podIndex() == null ? context.tlsSecretName() : context.tlsSecretName(podModel);
    if (!podHostAliases) {
      return PodModel.desired(podModel, null, secret);
    }
    List<Federation> federations = federations(podModel);
    String coordinator = podModel.federationHost()
        .flatMap(h -> CoordinatorAddress.of(h.domain(), federations)).orElse(null);
    Map<String, String> peers = PeerModel.servesEndpoint(podModel)
        ? PeerHostAddresses.of(podModel.federationHost().get(), federations) : Map.of();
    return PodModel.desired(podModel, context.address().address(), coordinator, peers, secret);
  }

  /**
   * A party job's Federations in the controller's namespace (whose addresses its pod dials); none for other jobs,
   * and none when the controller is no federation member.
   */
  private List<Federation> federations(JobModel model) {
    if (federations == null || model.role() != Role.CLIENT || model.federationHost().isEmpty()) {
      return List.of();
    }
    return federations.federations();
  }

  /** What to do, from the job, the pod that exists (or null) and the desired pod. Pure. */
  Action action(JobContext context, Pod actual, Pod desired) {
    if (PodOutcome.ended(context.job())) {
      // a job that ended stays ended: its pod is neither replaced (a new controller's defaults) nor made again
      // (deleted); editing spec (a new generation) or re-creating the job runs it again
      return actual == null ? Action.ENDED_WITHOUT_POD : Action.KEEP_ENDED;
    }
    if (actual == null) {
      // its host aliases need the address, and a pod cannot gain them later without being replaced:
      // the route's status (an event on a child) brings the job back
      boolean needsAddress = podHostAliases && context.model().dnsEnabled() && context.address().address() == null;
      return needsAddress ? Action.WAIT_FOR_ADDRESS : Action.APPLY;
    }
    if (actual.getMetadata().getDeletionTimestamp() != null) {
      return Action.WAIT_FOR_DELETION;
    }
    return Objects.equals(templateHash(actual), templateHash(desired)) ? Action.APPLY : Action.REPLACE;
  }

  /** Makes and changes nothing; reads the pod that exists, and reports it when the job ended (waiting is moot then). */
  @Override
  public Observation whileWaiting(JobContext context, Observation waiting) {
    JobModel model = context.model();
    List<PodOutcome> outcomes = new ArrayList<>();
    for (JobModel podModel : model.pods()) {
      Pod actual = client.pods().inNamespace(model.namespace()).withName(podModel.podName()).get();
      outcomes.add(PodOutcome.ended(context.job()) && actual == null
          ? PodOutcome.endedWithoutPod(context.job()) : PodOutcome.of(podModel, actual));
    }
    PodOutcome outcome = combined(context, outcomes);
    if (isEnd(outcome)) {
      return report(context, outcome);
    }
    context.outcome(outcome);
    return waiting;
  }

  private static boolean isEnd(PodOutcome outcome) {
    return PodOutcome.SUCCEEDED.equals(outcome.phase()) || PodOutcome.FAILED.equals(outcome.phase());
  }

  private Observation report(JobContext context, PodOutcome outcome) {
    context.outcome(outcome);
    reportOutcome(context.job(), context.model(), outcome);
    return outcome.podReady();
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

  static String templateHash(Pod pod) {
    return pod.getMetadata().getAnnotations() == null ? null
        : pod.getMetadata().getAnnotations().get(PodModel.TEMPLATE_HASH_ANNOTATION);
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
}
