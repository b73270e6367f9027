package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.LeaderElection;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("two controller replicas sharing the Lease on a real kube-apiserver")
class LeaderElectionIT extends OnKubeApiServer {

  static final String NS = "leader";
  static final String LEASE_NS = "flotilla-system";
  static final Duration WAIT = Duration.ofSeconds(60);
  static final LeaderElection.Timing FAST = new LeaderElection.Timing(Duration.ofSeconds(6), Duration.ofSeconds(4), Duration.ofSeconds(1));

  /** One controller process as ControllerMain wires it: its own client, metrics, controller and election. */
  static final class Replica implements AutoCloseable {
    final KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    final ControllerMetrics metrics = new ControllerMetrics(new PrometheusRegistry());
    final Controller controller = new Controller(client, ControllerConfig.defaults().withScope(WatchScope.of(NS)).withControllerNamespace(LEASE_NS)
        .withIngressAddress("172.31.164.52").withResync(Duration.ofMinutes(10)), metrics);
    final LeaderElection election;

    Replica(String identity) {
      election = new LeaderElection(client, LEASE_NS, identity, FAST, controller::start, controller::close);
      election.start();
    }

    @Override
    public void close() {
      election.close();
      controller.close();
      client.close();
    }
  }

  final List<AutoCloseable> open = new ArrayList<>();
  KubernetesClient client;

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  Replica replica(String identity) {
    Replica r = new Replica(identity);
    open.add(r);
    return r;
  }

  String holder() {
    Lease lease = client.leases().inNamespace(LEASE_NS).withName(LeaderElection.LEASE_NAME).get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  void createJob(String name, String host) {
    GenericKubernetesResource job = Serialization.unmarshal("""
        apiVersion: git.iflytek.com/v1
        kind: IflearnerJob
        metadata:
          name: %s
        spec:
          role: server
          host: %s
          template:
            spec:
              containers:
              - name: server
                image: ghcr.io/flotilla/flotilla-aggregator:latest
        """.formatted(name, host), GenericKubernetesResource.class);
    client.genericKubernetesResources("git.iflytek.com/v1", "IflearnerJob").inNamespace(NS).resource(job).create();
  }

  Service service(String name) {
    return client.services().inNamespace(NS).withName(name).get();
  }

  @Test
  @DisplayName("only the Lease holder reconciles; when it stops, the standby takes the Lease and reconciles new jobs")
  void oneLeaderThenFailover() throws Exception {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    open.add(client);
    KubeApi.coreDnsConfigMap(client);
    KubeApi.installCrd(client);
    KubeApi.namespace(client, NS);
    KubeApi.namespace(client, LEASE_NS);

    Replica a = replica("replica-a");
    await("replica-a holds the Lease").atMost(WAIT).until(() -> "replica-a".equals(holder()) && a.controller.isSynced());
    Replica b = replica("replica-b");

    createJob("job-one", "job-one.server.iflearner.com");
    await("job-one reconciled").atMost(WAIT).until(() -> service("job-one") != null && a.metrics.reconcileCount() > 0);
    String firstUid = service("job-one").getMetadata().getUid();
    // over several of b's retry periods: a keeps the Lease, b never starts its controller nor reconciles,
    // and the children a made are the only ones (never deleted and made again)
    await("b stands by").during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() ->
        "replica-a".equals(holder()) && !b.controller.isStarted() && b.metrics.reconcileCount() == 0
            && firstUid.equals(service("job-one").getMetadata().getUid()));
    assertThat(a.controller.isStarted()).isTrue();

    long aReconciles = a.metrics.reconcileCount();
    a.election.close(); // the leader stops: it releases the Lease and its controller stops
    await("replica-a stopped reconciling").atMost(WAIT).until(() -> !a.controller.isStarted());
    await("replica-b takes the Lease").atMost(WAIT).until(() -> "replica-b".equals(holder()) && b.controller.isSynced());

    createJob("job-two", "job-two.server.iflearner.com");
    // the reconcile applies the Service, then the Ingress: wait for both
    await("job-two reconciled by replica-b").atMost(WAIT).until(() -> service("job-two") != null
        && client.network().v1().ingresses().inNamespace(NS).withName("job-two").get() != null
        && b.metrics.reconcileCount() > 0);
    assertThat(a.metrics.reconcileCount()).isEqualTo(aReconciles);
    assertThat(service("job-one").getMetadata().getUid()).isEqualTo(firstUid);
  }
}
