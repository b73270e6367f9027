package dev.flotilla.dns.cli;

import dev.flotilla.dns.CoreDnsConfigMapRef;
import dev.flotilla.dns.CoreDnsUpdater;
import dev.flotilla.dns.CorefileEditor;
import dev.flotilla.dns.DnsEdit;
import dev.flotilla.dns.UpdateResult;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code flotilla dns apply}: edits the cluster's CoreDNS ConfigMap. */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    description = "Apply the records to the cluster's CoreDNS ConfigMap, inside the owner's managed region. "
        + "Writes are locked to the resourceVersion read and retried on conflict, so concurrent edits "
        + "(the controller's, a person's) are kept. Nothing is written when nothing changes.")
final class ApplyCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--kubeconfig")
  String kubeconfig;

  @Option(names = "--namespace")
  String namespace;

  @Option(names = "--configmap")
  String configMap;

  @Option(names = "--key")
  String key;

  @Mixin RecordOptions records;

  @Override
  public Integer call() {
    DnsEdit edit = records.edit(); // validate everything before connecting
    CoreDnsConfigMapRef ref = new CoreDnsConfigMapRef(namespace, configMap, key);
    try (KubernetesClient client = client()) {
      CoreDnsUpdater updater = new CoreDnsUpdater(client, ref, new CorefileEditor(records.serverBlock),
          CoreDnsUpdater.DEFAULT_MAX_ATTEMPTS);
      UpdateResult result = updater.apply(edit);
      spec.commandLine().getOut().printf("%s: owner %s %s, records %s (resourceVersion %s, %d attempt%s)%n",
          ref, edit.owner(), result.changed() ? "updated" : "unchanged", result.after(), result.resourceVersion(),
          result.attempts(), result.attempts() == 1 ? "" : "s");
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  private KubernetesClient client() {
    Config config = kubeconfig != null ? Config.fromKubeconfig(RenderCommand.read(kubeconfig)) : Config.autoConfigure(null);
    // a person at a terminal wants a prompt answer when the API server is unreachable
    config.setRequestRetryBackoffLimit(1);
    config.setConnectionTimeout(10_000);
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
