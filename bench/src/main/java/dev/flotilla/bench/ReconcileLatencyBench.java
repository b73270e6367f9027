package dev.flotilla.bench;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench reconcile-latency}: p50 and p99 of the controller's reconcile latency (create to
 * children, create to status) over a number of jobs, against whatever cluster the kubeconfig names
 * (the single-node cluster of issue 14, with the controller running there as a pod).
 */
@Command(name = "reconcile-latency", mixinStandardHelpOptions = true,
    description = {"The controller's reconcile latency over many IflearnerJobs, one at a time: create -> certificate",
        "Secret, Service, Ingress and Pod all in the API server, and create -> status written; p50, p99, max.",
        "A controller must be watching --namespace (e.g. config/default on bin/lib/cluster.sh up)."})
public final class ReconcileLatencyBench implements Callable<Integer> {

  @Option(names = "--kubeconfig", description = "Kubeconfig of the cluster (default: $KUBECONFIG, else ~/.kube/config).")
  Path kubeconfig;

  @Option(names = "--namespace", defaultValue = "default",
      description = "Namespace the controller watches, where the jobs are made (default ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--jobs", defaultValue = "100", description = "Jobs measured (default ${DEFAULT-VALUE}).")
  int jobs;

  @Option(names = "--warm-up-jobs", defaultValue = "5", description = "Jobs made first and not counted (default ${DEFAULT-VALUE}).")
  int warmUpJobs;

  @Option(names = "--timeout", defaultValue = "60s", converter = dev.flotilla.cli.DurationConverter.Positive.class,
      description = "Longest wait for one job's children, status or deletion: 60s, 2m, PT60S (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--publish-ingress-address", paramLabel = "IP",
      description = "Write IP into each job's Ingress status when it appears, standing in for the ingress controller "
          + "(the controller of config/single-node makes a pod only once that address is known); default: none.")
  String publishIngressAddress;

  @Override
  public Integer call() throws Exception {
    Config config = kubeconfig == null ? Config.autoConfigure(null) : Config.fromKubeconfig(Files.readString(kubeconfig));
    String prefix = "latency-" + Long.toString(Instant.now().getEpochSecond(), 36);
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
      System.out.printf(Locale.ROOT, "load average at start: %s%n", loadAverage());
      System.out.printf(Locale.ROOT, "cluster %s, namespace %s, %d jobs after %d warm-up jobs, one at a time%n",
          client.getMasterUrl(), namespace, jobs, warmUpJobs);
      ReconcileLatency latency = new ReconcileLatency(client, namespace, timeout);
      if (publishIngressAddress != null) {
        latency.publishingIngressAddress(publishIngressAddress);
      }
      if (warmUpJobs > 0) {
        latency.run(prefix + "-warm", warmUpJobs, s -> { });
      }
      ReconcileLatency.Result result = latency.run(prefix, jobs, s -> System.out.printf(Locale.ROOT,
          "  %s children %s ms, status %s ms%n", s.job(), ReconcileLatency.format(s.childrenMillis()),
          ReconcileLatency.format(s.statusMillis())));
      System.out.println();
      System.out.println("| jobs | create -> children p50 | p99 | max | create -> status p50 | p99 | max |");
      System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
      System.out.printf(Locale.ROOT, "| %d | %s ms | %s ms | %s ms | %s ms | %s ms | %s ms |%n", result.samples().size(),
          ReconcileLatency.format(result.childrenPercentile(50)), ReconcileLatency.format(result.childrenPercentile(99)),
          ReconcileLatency.format(result.childrenPercentile(100)), ReconcileLatency.format(result.statusPercentile(50)),
          ReconcileLatency.format(result.statusPercentile(99)), ReconcileLatency.format(result.statusPercentile(100)));
      System.out.printf(Locale.ROOT, "load average at end: %s%n", loadAverage());
    }
    return 0;
  }

  private static String loadAverage() {
    double[] load = BenchMain.loadAverage();
    return String.format(Locale.ROOT, "%.2f %.2f %.2f", load[0], load[1], load[2]);
  }

}
