package dev.flotilla.controller.operator;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.api.Route;
import dev.flotilla.controller.join.JoinModel;
import dev.flotilla.controller.model.CertificateAuthorityModel;
import dev.flotilla.controller.model.EnrolledIdentityModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.KarmadaStatusModel;
import dev.flotilla.controller.model.OcmPlacementModel;
import dev.flotilla.controller.model.PlacementEngine;
import dev.flotilla.controller.model.PlacementStatusModel;
import dev.flotilla.controller.model.RelatedJobs;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.k8s.networking.gateway.v1.TLSRoute;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches IflearnerJobs and the children they own, and reconciles each job that changed (or
 * whose child changed) through a deduplicating work queue; failures are retried with
 * exponential backoff, and every job is reconciled again each resync period.
 */
public final class Controller implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Controller.class);
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  private static final Duration REQUEUE = Duration.ofSeconds(2);
  private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final ControllerConfig config;
  private final ControllerMetrics metrics;
  private final IflearnerJobReconciler reconciler;
  private final WorkQueue queue;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  /** What the informers hold: the jobs (one informer per watched namespace, or one across all), the CA and join Secrets. */
  private final InformerState observed = new InformerState();
  private final Map<String, Duration> backoff = new ConcurrentHashMap<>();
  private volatile boolean started;

  /** How often running aggregators are asked for their progress; zero: never. */
  private final Duration progressInterval;
  private final ProgressPoller progress;

  /** A controller that learns a job's progress only from its aggregator's termination message. */
  public Controller(KubernetesClient client, ControllerConfig config, ControllerMetrics metrics) {
    this(client, config, metrics, Duration.ZERO);
  }

  /**
   * A controller that also asks each running Flotilla aggregator for its progress every
   * {@code progressInterval} (JobObserver.Progress over mutual TLS as the controller identity, with
   * {@code min(interval, 5 s)} to answer), and writes it to the job's status when it moved.
   */
  public Controller(KubernetesClient client, ControllerConfig config, ControllerMetrics metrics, Duration progressInterval) {
    this.client = client;
    this.config = config;
    this.metrics = metrics;
    this.progressInterval = progressInterval;
    this.queue = new WorkQueue("flotilla-reconciler", this::handle);
    if (progressInterval.isZero()) {
      this.progress = null;
    } else {
      Duration timeout = progressInterval.compareTo(PROGRESS_TIMEOUT) < 0 ? progressInterval : PROGRESS_TIMEOUT;
      this.progress = new ProgressPoller(new GrpcProgressSource(new ObserverCredentials(
          new CertificateAuthorities(client, config.controllerNamespace(), observed), Clock.systemUTC()), timeout), queue::add);
    }
    this.reconciler = new IflearnerJobReconciler(client, config, Clock.systemUTC(), observed, progress);
  }

  /**
   * Starts the informers (per watched namespace, or one per kind across all namespaces);
   * reconciles begin as their events arrive. Across all namespaces Secrets are not watched: that
   * would take a cluster-wide list/watch on Secrets, which the cluster-wide Role deliberately
   * lacks. A job's Secrets are then checked on each of its reconciles (any change to the job or its
   * other children, and every resync).
   */
  public synchronized void start() {
    if (started) {
      return;
    }
    started = true;
    // the CA Secrets first: a job's first reconcile may need its namespace's CA bundle from this cache
    SharedIndexInformer<Secret> cas = client.secrets().inNamespace(config.controllerNamespace())
        .withLabel(CertificateAuthorityModel.NAMESPACE_LABEL).runnableInformer(0);
    observed.certificateAuthorities(cas);
    cas.addEventHandler(new Handler<>(this::enqueueServedJobs));
    cas.run();
    informers.add(cas);
    if (config.followFederations()) {
      watchFederations();
    }
    // identities enrolled or renewed by --join: the party jobs mounting one follow it (their copy, their pod)
    informers.add(client.secrets().inNamespace(config.controllerNamespace())
        .withLabel(EnrolledIdentityModel.COMPONENT_LABEL, EnrolledIdentityModel.COMPONENT)
        .inform(new Handler<>(identity -> EnrolledIdentityModel.jobsUsing(observed.allJobs(), identity.getMetadata().getName())
            .forEach(this::enqueueJob)), 0));
    // join Secrets, before the jobs (a reconcile reads which namespaces may use an identity from this cache): a change to
    // the namespaces one allows decides again for the jobs naming its identity
    SharedIndexInformer<Secret> joins = client.secrets().inNamespace(config.controllerNamespace()).withField("type", JoinModel.TYPE)
        .runnableInformer(0);
    observed.joinSecrets(joins);
    joins.addEventHandler(new Handler<>(join -> JoinModel.claimedIdentitySecretName((Secret) join).ifPresent(identity ->
        EnrolledIdentityModel.jobsUsing(observed.allJobs(), identity).forEach(this::enqueueJob))));
    joins.run();
    informers.add(joins);
    for (var scopedJobs : scoped(client.resources(IflearnerJob.class))) {
      SharedIndexInformer<IflearnerJob> jobs = scopedJobs.runnableInformer(config.resync().toMillis());
      observed.addJobs(jobs);
      jobs.addEventHandler(new JobHandler());
      jobs.run();
      informers.add(jobs);
    }
    if (config.gateway() != null) {
      GatewayApiCheck.requireServed(client);
      children(client.resources(TLSRoute.class));
      // one named Gateway: its status addresses and listeners decide every gateway job's DNS record and route condition
      informers.add(client.resources(Gateway.class).inNamespace(config.gateway().namespace()).withName(config.gateway().name())
          .inform(new Handler<>(gateway -> enqueueGatewayJobs()), 0));
    }
    if (config.placement() == PlacementEngine.OCM) {
      watchOcm();
    }
    if (config.placement() == PlacementEngine.KARMADA) {
      watchKarmada();
    }
    children(client.resources(Pod.class));
    children(client.resources(Service.class));
    children(client.resources(Ingress.class));
    children(client.resources(NetworkPolicy.class));
    children(client.resources(ConfigMap.class));
    if (!config.scope().allNamespaces()) {
      children(client.resources(Secret.class));
    }
    if (progress != null) {
      progress.start(progressInterval);
    }
    LOG.info("controller started: watching IflearnerJobs in {}; CA Secrets in namespace {}; {}", config.scope(),
        config.controllerNamespace(), progress == null ? "progress from termination messages only"
            : "running aggregators asked for their progress every " + progressInterval.toMillis() + " ms");
  }

  /**
   * OCM's side of a placed job: a PlacementDecision (new clusters chosen) brings back the jobs of its Placement, a
   * ManifestWork (its status fed back from the cluster) the job it carries.
   */
  private void watchOcm() {
    for (var decisions : scoped(client.genericKubernetesResources(OcmPlacementModel.DECISION_API_VERSION,
        OcmPlacementModel.DECISION_KIND))) {
      informers.add(decisions.withLabel(OcmPlacementModel.DECISION_PLACEMENT_LABEL).inform(new Handler<>(decision ->
          PlacementStatusModel.jobsDecidedBy(decision, observed.jobsIn(decision.getMetadata().getNamespace()))
              .forEach(this::enqueueJob)), 0));
    }
    informers.add(client.genericKubernetesResources(OcmPlacementModel.WORK_API_VERSION, OcmPlacementModel.WORK_KIND).inAnyNamespace()
        .withLabel(OcmPlacementModel.PLACED_JOB_LABEL).inform(new Handler<>(work -> {
          String job = PlacementStatusModel.jobOfWork(work);
          if (job != null) {
            queue.add(job);
          }
        }), 0));
  }

  /**
   * A federation member's Federations, before the jobs (a job's first reconcile reads them from this cache): a change
   * reconciles every Flotilla aggregator (its parties file admits the party members) and, with host aliases, every
   * party job (its pod's server host follows the coordinator's address; a running pod's hostAliases are fixed, so a
   * moved coordinator replaces it).
   */
  private void watchFederations() {
    SharedIndexInformer<Federation> federations = client.resources(Federation.class).inNamespace(config.controllerNamespace())
        .runnableInformer(0);
    observed.federations(federations);
    federations.addEventHandler(new Handler<>(federation -> observed.allJobs().stream()
        .filter(job -> job.getSpec() != null && (job.getSpec().getRole() == Role.SERVER
            || job.getSpec().getRole() == Role.CLIENT && config.podHostAliases()))
        .forEach(this::enqueueJob)));
    federations.run();
    informers.add(federations);
  }

  /** Karmada's side of a propagated job: its ResourceBinding (scheduled, applied, status aggregated) brings the job back. */
  private void watchKarmada() {
    for (var bindings : scoped(client.genericKubernetesResources(KarmadaStatusModel.BINDING_API_VERSION,
        KarmadaStatusModel.BINDING_KIND))) {
      informers.add(bindings.inform(new Handler<>(binding -> {
        String job = KarmadaStatusModel.jobOfBinding(binding);
        if (job != null) {
          queue.add(job);
        }
      }), 0));
    }
  }

  /** True once every informer has listed what exists. */
  public boolean isSynced() {
    return started && informers.stream().allMatch(SharedIndexInformer::hasSynced);
  }

  public boolean isStarted() {
    return started;
  }

  private <T extends HasMetadata, L extends io.fabric8.kubernetes.api.model.KubernetesResourceList<T>>
      List<io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable<T, L, Resource<T>>> scoped(MixedOperation<T, L, Resource<T>> op) {
    if (config.scope().allNamespaces()) {
      return List.of(op.inAnyNamespace());
    }
    List<io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable<T, L, Resource<T>>> out = new ArrayList<>();
    config.scope().namespaces().forEach(ns -> out.add(op.inNamespace(ns)));
    return out;
  }

  private <T extends HasMetadata, L extends io.fabric8.kubernetes.api.model.KubernetesResourceList<T>>
      void children(MixedOperation<T, L, Resource<T>> op) {
    for (var scoped : scoped(op)) {
      informers.add(scoped.withLabel(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER).inform(new Handler<>(this::enqueueOwner), 0));
    }
  }

  private void enqueueJob(HasMetadata job) {
    queue.add(job.getMetadata().getNamespace() + "/" + job.getMetadata().getName());
    metrics.queueDepth.set(queue.size());
  }

  /** The job, and the jobs whose outcome depends on it before and after the change ({@link RelatedJobs}). */
  private void enqueueJobAndRelated(IflearnerJob before, IflearnerJob after) {
    enqueueJob(after);
    List<IflearnerJob> all = observed.allJobs();
    for (IflearnerJob changed : before == null ? List.of(after) : List.of(before, after)) {
      RelatedJobs.of(changed, all).forEach(queue::add);
    }
    metrics.queueDepth.set(queue.size());
  }

  /** Every job routed through the Gateway, from the informers' caches. */
  private void enqueueGatewayJobs() {
    observed.allJobs().stream()
        .filter(job -> job.getSpec() != null && job.getSpec().getRoute() == Route.GATEWAY)
        .forEach(this::enqueueJob);
  }

  private void enqueueOwner(HasMetadata child) {
    for (OwnerReference owner : child.getMetadata().getOwnerReferences()) {
      if (IflearnerJob.KIND.equals(owner.getKind()) && owner.getApiVersion().startsWith(IflearnerJob.GROUP + "/")) {
        queue.add(child.getMetadata().getNamespace() + "/" + owner.getName());
      }
    }
    if (child instanceof ConfigMap || child instanceof Secret) {
      // shared CA objects carry no owner: every job of the namespace in terminate mode may need them back
      if (child.getMetadata().getOwnerReferences().isEmpty()) {
        observed.jobsIn(child.getMetadata().getNamespace()).forEach(this::enqueueJob);
      }
    }
  }

  /** A CA Secret changed: every job of the namespace it serves (their certificates and CA bundles come from it). */
  private void enqueueServedJobs(HasMetadata caSecret) {
    for (String namespace : InformerState.servedNamespace((Secret) caSecret)) {
      observed.jobsIn(namespace).forEach(this::enqueueJob);
    }
  }

  private void handle(String key) {
    int slash = key.indexOf('/');
    String namespace = key.substring(0, slash);
    String name = key.substring(slash + 1);
    long start = System.nanoTime();
    IflearnerJobReconciler.Result result;
    try {
      result = reconciler.reconcile(namespace, name);
    } catch (RuntimeException e) {
      LOG.warn("{}: reconcile failed: {}", key, e.toString(), e);
      result = new IflearnerJobReconciler.Result(true, false, e.toString());
    }
    metrics.duration.observe((System.nanoTime() - start) / 1e9);
    if (result.failed()) {
      Duration next = backoff.merge(key, FIRST_BACKOFF, (old, first) -> min(old.multipliedBy(2), config.maxBackoff()));
      metrics.reconciles.labelValues("error").inc();
      LOG.info("{}: {}; retrying in {}s", key, result.summary(), next.toSeconds());
      queue.addAfter(key, next);
    } else {
      backoff.remove(key);
      metrics.reconciles.labelValues(result.requeue() ? "requeue" : "success").inc();
      if (result.requeue()) {
        queue.addAfter(key, REQUEUE);
      }
      LOG.debug("{}: {}", key, result.summary());
    }
    metrics.queueDepth.set(queue.size());
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public synchronized void close() {
    informers.forEach(SharedIndexInformer::close);
    informers.clear();
    if (progress != null) {
      progress.close();
    }
    queue.close();
    started = false;
  }

  /** Job events: the job and the jobs related to it, before and after an update. */
  private final class JobHandler implements ResourceEventHandler<IflearnerJob> {
    @Override
    public void onAdd(IflearnerJob job) {
      enqueueJobAndRelated(null, job);
    }

    @Override
    public void onUpdate(IflearnerJob oldJob, IflearnerJob newJob) {
      enqueueJobAndRelated(oldJob, newJob);
    }

    @Override
    public void onDelete(IflearnerJob job, boolean deletedFinalStateUnknown) {
      enqueueJobAndRelated(null, job);
    }
  }

  /** Forwards every informer event (and resync) to one callback. */
  private static final class Handler<T extends HasMetadata> implements ResourceEventHandler<T> {
    private final java.util.function.Consumer<HasMetadata> callback;

    Handler(java.util.function.Consumer<HasMetadata> callback) {
      this.callback = callback;
    }

    @Override
    public void onAdd(T obj) {
      callback.accept(obj);
    }

    @Override
    public void onUpdate(T oldObj, T newObj) {
      callback.accept(newObj);
    }

    @Override
    public void onDelete(T obj, boolean deletedFinalStateUnknown) {
      callback.accept(obj);
    }
  }
}
