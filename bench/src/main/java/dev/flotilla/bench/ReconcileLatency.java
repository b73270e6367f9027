package dev.flotilla.bench;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobSpec;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.model.JobModel;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The controller's reconcile latency seen from outside, as a user sees it: the time from creating an
 * IflearnerJob to the moment its children (certificate Secret, Service, Ingress, Pod) are all in the
 * API server, and to the moment its status is written. Jobs are created one at a time, each measured
 * and then deleted (and gone, finalizer included) before the next, so every figure is one reconcile
 * of an otherwise idle controller, not a queue.
 *
 * <p>The jobs are Flotilla servers (passthrough Ingress, NetworkPolicy, parties file: the longest
 * chain of steps) whose pods name a scheduler that does not exist, so they stay Pending and unbound:
 * what is measured is the controller, not image pulls or the kubelet.
 */
public final class ReconcileLatency {

  public static final String DOMAIN = "bench.example.org";
  public static final String SERVER_IMAGE = "ghcr.io/flotilla-dev/flotilla-server:0.1.0";
  /** No scheduler has this name: the pods stay Pending, unbound, and cost the node nothing. */
  public static final String NO_SCHEDULER = "flotilla-bench-unscheduled";
  /** The children every job has, by the kind of object. */
  static final List<String> CHILD_KINDS = List.of("Secret", "Service", "Ingress", "Pod");

  /** One job's figures, in milliseconds from the create call. */
  public record Sample(String job, double childrenMillis, double statusMillis) {}

  /** All samples and the percentiles of both figures. */
  public record Result(List<Sample> samples) {
    public double childrenPercentile(double p) {
      return percentile(samples.stream().mapToDouble(Sample::childrenMillis).toArray(), p);
    }

    public double statusPercentile(double p) {
      return percentile(samples.stream().mapToDouble(Sample::statusMillis).toArray(), p);
    }
  }

  private final KubernetesClient client;
  private final String namespace;
  private final Duration timeout;
  private final Map<String, Tracker> trackers = new ConcurrentHashMap<>();
  private String ingressAddress;

  public ReconcileLatency(KubernetesClient client, String namespace, Duration timeout) {
    this.client = client;
    this.namespace = namespace;
    this.timeout = timeout;
  }

  /**
   * Stands in for the ingress controller: writes {@code address} into each measured job's Ingress
   * status as soon as the Ingress appears, as ingress-nginx does. Needed where the controller runs
   * with --pod-host-aliases and no --ingress-address (config/single-node): it makes the pod only once
   * the address is known, so the measured chain includes that round trip.
   */
  public ReconcileLatency publishingIngressAddress(String address) {
    this.ingressAddress = address;
    return this;
  }

  /**
   * Measures {@code jobs} jobs named {@code <prefix>-<i>}; {@code progress} gets each sample as it is
   * taken. Throws if a job's children or status do not appear within the timeout, naming what is missing.
   */
  public Result run(String prefix, int jobs, Consumer<Sample> progress) throws InterruptedException {
    if (jobs < 1) {
      throw new IllegalArgumentException("measure at least one job, not " + jobs);
    }
    String selector = JobModel.LABEL_MANAGED_BY;
    List<SharedIndexInformer<?>> informers = new ArrayList<>();
    try {
      informers.add(client.secrets().inNamespace(namespace).withLabel(selector).inform(seen("Secret"), 0));
      informers.add(client.services().inNamespace(namespace).withLabel(selector).inform(seen("Service"), 0));
      informers.add(client.network().v1().ingresses().inNamespace(namespace).withLabel(selector).inform(seen("Ingress"), 0));
      informers.add(client.pods().inNamespace(namespace).withLabel(selector).inform(seen("Pod"), 0));
      informers.add(client.resources(IflearnerJob.class).inNamespace(namespace).inform(statusSeen(), 0));
      List<Sample> samples = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        Sample sample = measure(prefix + "-" + i);
        samples.add(sample);
        progress.accept(sample);
      }
      return new Result(List.copyOf(samples));
    } finally {
      informers.forEach(SharedIndexInformer::close);
    }
  }

  private Sample measure(String name) throws InterruptedException {
    Tracker tracker = new Tracker(System.nanoTime());
    trackers.put(name, tracker);
    try {
      client.resources(IflearnerJob.class).inNamespace(namespace).resource(job(name)).create();
      if (!tracker.done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("job " + namespace + "/" + name + ": within " + timeout + " saw " + tracker.seen.keySet()
            + " of " + CHILD_KINDS + (tracker.statusNanos == 0 ? " and no status" : " and its status")
            + "; is a controller watching namespace " + namespace + "?");
      }
      long children = tracker.seen.values().stream().mapToLong(Long::longValue).max().orElseThrow();
      return new Sample(name, millis(children - tracker.createdNanos), millis(tracker.statusNanos - tracker.createdNanos));
    } finally {
      trackers.remove(name);
      delete(name);
    }
  }

  /** Deletes the job and waits until it is gone (the controller removes its DNS finalizer first). */
  private void delete(String name) throws InterruptedException {
    var resource = client.resources(IflearnerJob.class).inNamespace(namespace).withName(name);
    resource.delete();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (resource.get() != null) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("job " + namespace + "/" + name + " still there " + timeout + " after its deletion");
      }
      Thread.sleep(20);
    }
  }

  IflearnerJob job(String name) {
    IflearnerJobSpec spec = new IflearnerJobSpec();
    spec.setRole(Role.SERVER);
    spec.setHost(name + ".server." + DOMAIN);
    spec.setSchedulerName(NO_SCHEDULER);
    spec.setTemplate(new PodTemplateSpecBuilder().withNewSpec()
        .addToContainers(new ContainerBuilder().withName("server").withImage(SERVER_IMAGE)
            .withArgs("--job-id=" + name, "--rounds=1").build())
        .endSpec().build());
    IflearnerJob job = new IflearnerJob();
    job.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    job.setSpec(spec);
    return job;
  }

  private <T extends HasMetadata> ResourceEventHandler<T> seen(String kind) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        long now = System.nanoTime();
        Map<String, String> labels = obj.getMetadata().getLabels();
        Tracker tracker = labels == null ? null : trackers.get(labels.getOrDefault(JobModel.LABEL_INSTANCE, ""));
        if (tracker != null && (!kind.equals("Secret") || obj.getMetadata().getName().endsWith("-tls"))) {
          tracker.seen.putIfAbsent(kind, now);
          tracker.check();
          if (kind.equals("Ingress") && ingressAddress != null) {
            client.network().v1().ingresses().inNamespace(namespace).withName(obj.getMetadata().getName())
                .editStatus(i -> new io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder(i).editOrNewStatus()
                    .withNewLoadBalancer().addNewIngress().withIp(ingressAddress).endIngress().endLoadBalancer().endStatus().build());
          }
        }
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {}

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {}
    };
  }

  private ResourceEventHandler<IflearnerJob> statusSeen() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(IflearnerJob job) {
        onUpdate(null, job);
      }

      @Override
      public void onUpdate(IflearnerJob oldJob, IflearnerJob job) {
        long now = System.nanoTime();
        Tracker tracker = trackers.get(job.getMetadata().getName());
        if (tracker != null && tracker.statusNanos == 0 && job.getStatus() != null
            && job.getMetadata().getGeneration().equals(job.getStatus().getObservedGeneration())) {
          tracker.statusNanos = now;
          tracker.check();
        }
      }

      @Override
      public void onDelete(IflearnerJob job, boolean deletedFinalStateUnknown) {}
    };
  }

  private static double millis(long nanos) {
    return nanos / 1e6;
  }

  /** Nearest-rank percentile, {@code p} in (0, 100]. */
  static double percentile(double[] values, double p) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
  }

  public static String format(double millis) {
    return String.format(Locale.ROOT, "%.0f", millis);
  }

  private static final class Tracker {
    final long createdNanos;
    final Map<String, Long> seen = new ConcurrentHashMap<>();
    volatile long statusNanos;
    final CountDownLatch done = new CountDownLatch(1);

    Tracker(long createdNanos) {
      this.createdNanos = createdNanos;
    }

    void check() {
      if (statusNanos != 0 && seen.keySet().containsAll(CHILD_KINDS)) {
        done.countDown();
      }
    }
  }
}
