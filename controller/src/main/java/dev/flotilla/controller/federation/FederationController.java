package dev.flotilla.controller.federation;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.WorkQueue;
import dev.flotilla.dns.CoreDnsUpdater;
import dev.flotilla.dns.DnsRecord;
import dev.flotilla.dns.UpdateResult;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.List;
import java.util.SortedSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member's side of the route table: watches the Federations of the controller's namespace and makes
 * this cluster's DNS records (CoreDNS, one region per Federation, {@link FederationRoutesModel#dnsOwner})
 * and trust bundle ConfigMap (in each job namespace) follow them; a deleted Federation's records go. A
 * Federation that is not whole changes nothing and is logged, naming the problem.
 */
public final class FederationController implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FederationController.class);
  static final Duration RETRY = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final String namespace;
  private final String self;
  private final List<String> trustNamespaces;
  private final CoreDnsUpdater dns;
  private final ChildApplier applier;
  private final WorkQueue queue;
  private SharedIndexInformer<Federation> informer;

  /**
   * @param self this cluster's member name
   * @param trustNamespaces the job namespaces that get the trust bundle
   */
  public FederationController(KubernetesClient client, String namespace, String self, List<String> trustNamespaces,
      CoreDnsUpdater dns) {
    this.client = client;
    this.namespace = namespace;
    this.self = self;
    this.trustNamespaces = List.copyOf(trustNamespaces);
    this.dns = dns;
    this.applier = new ChildApplier(client);
    this.queue = new WorkQueue("flotilla-federation", this::handle);
  }

  public synchronized FederationController start() {
    informer = client.resources(Federation.class).inNamespace(namespace).inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Federation f) {
        queue.add(f.getMetadata().getName());
      }

      @Override
      public void onUpdate(Federation before, Federation after) {
        queue.add(after.getMetadata().getName());
      }

      @Override
      public void onDelete(Federation f, boolean unknown) {
        queue.add(f.getMetadata().getName());
      }
    }, 0);
    LOG.info("routes of the Federations in {} for member {}: DNS in {}, trust bundles in {}", namespace, self, dns.ref(),
        trustNamespaces);
    return this;
  }

  private void handle(String name) {
    String ref = namespace + "/" + name;
    try {
      Federation federation = client.resources(Federation.class).inNamespace(namespace).withName(name).get();
      if (federation == null) {
        dns.removeRecords("federation/" + ref);
        LOG.info("{}: Federation gone; its DNS records removed", ref);
        return;
      }
      SortedSet<DnsRecord> records = FederationRoutesModel.records(federation.getSpec(), self);
      UpdateResult result = dns.replaceRecords(FederationRoutesModel.dnsOwner(federation), records);
      for (String ns : trustNamespaces) {
        applier.apply(FederationRoutesModel.trust(federation.getSpec(), ns));
      }
      if (result.changed()) {
        LOG.info("{}: DNS records {}", ref, records);
      }
    } catch (IllegalArgumentException e) {
      LOG.warn("{}: not applied: {}", ref, e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("{}: {}; retrying in {}s", ref, e.toString(), RETRY.toSeconds());
      queue.addAfter(name, RETRY);
    }
  }

  @Override
  public synchronized void close() {
    if (informer != null) {
      informer.close();
    }
    queue.close();
  }
}
