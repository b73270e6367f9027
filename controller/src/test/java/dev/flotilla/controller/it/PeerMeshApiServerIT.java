package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.PeerSpec;
import dev.flotilla.controller.model.IsolationDefaults;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.NetworkPolicyModel;
import dev.flotilla.controller.model.PeerModel;
import dev.flotilla.controller.model.PodModel;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.controller.model.ServiceModel;
import dev.flotilla.controller.model.IngressModel;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * spec.peer on a real kube-apiserver: the generated CRD keeps the field and bounds its port, and the
 * objects the models build for a party and an aggregator in the peer mesh (Service, Ingress,
 * NetworkPolicy, Pod) are accepted by the API server and read back as built.
 */
class PeerMeshApiServerIT extends OnKubeApiServer {
  private static final String NS = "peer-mesh";
  static KubernetesClient client;

  @BeforeAll
  static void connect() {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.installCrd(client);
    KubeApi.namespace(client, NS);
  }

  @AfterAll
  static void close() {
    if (client != null) {
      client.close();
    }
  }

  private static IflearnerJob stored(String sample, PeerSpec peer) {
    IflearnerJob job = Samples.load(sample, NS);
    job.getSpec().setPeer(peer);
    return client.resource(job).create();
  }

  @Test
  @DisplayName("the CRD keeps spec.peer.enabled and spec.peer.port, and refuses a port outside 1..65535")
  void crdKeepsPeer() {
    IflearnerJob party = stored("flotilla-fashion-mnist/party-a.yaml", new PeerSpec(true, 7000));
    assertThat(party.getSpec().getPeer().getEnabled()).isTrue();
    assertThat(party.getSpec().getPeer().getPort()).isEqualTo(7000);
    IflearnerJob bad = Samples.load("flotilla-fashion-mnist/party-b.yaml", NS);
    bad.getSpec().setPeer(new PeerSpec(true, 0));
    assertThatThrownBy(() -> client.resource(bad).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getMessage()).contains("spec.peer.port");
        });
  }

  @Test
  @DisplayName("a peer-mesh party's Service, Ingress, NetworkPolicy and Pod, and its aggregator's policy, are accepted "
      + "by the API server and read back as built")
  void objectsAccepted() {
    JobModel party = new JobModel(stored("flotilla-fashion-mnist/party-c.yaml", new PeerSpec(true, null)));
    JobModel server = new JobModel(stored("flotilla-fashion-mnist/server.yaml", new PeerSpec(true, null)));
    assertThat(PeerModel.servesEndpoint(party)).isTrue();

    Service service = client.resource(ServiceModel.desired(party)).create();
    assertThat(service.getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort() + "->" + p.getTargetPort().getIntVal())
        .containsExactly("grpc:8443->8443", "peer:50002->50002");

    Ingress ingress = client.resource(IngressModel.desired(party)).create();
    assertThat(ingress.getSpec()).isEqualTo(IngressModel.desired(party).getSpec());

    for (JobModel job : new JobModel[] {party, server}) {
      NetworkPolicy desired = NetworkPolicyModel.desired(job, "10.0.0.7", IsolationDefaults.defaults());
      NetworkPolicy got = client.resource(desired).create();
      assertThat(got.getSpec()).as(job.name()).isEqualTo(desired.getSpec());
    }
    NetworkPolicy partyPolicy = client.network().v1().networkPolicies().inNamespace(NS)
        .withName(party.networkPolicyName()).get();
    assertThat(partyPolicy.getSpec().getEgress().get(2).getTo().get(0).getPodSelector().getMatchLabels())
        .containsEntry(PeerModel.FEDERATION_JOB_LABEL, "fashion").containsEntry("git.iflytek.com/role", "client");

    Pod pod = client.resource(PodModel.desired(party)).create();
    assertThat(pod.getMetadata().getLabels()).containsEntry(PeerModel.FEDERATION_JOB_LABEL, "fashion");
    assertThat(pod.getSpec().getContainers().get(0).getArgs()).contains("--peer-port=50002",
        "--peer-host=fashion.c.party.fl.example.org", "--peer-address=fashion.c.party.fl.example.org:443");
    // the policy's selector of the job's parties selects the party's pod on the real server
    assertThat(client.pods().inNamespace(NS).withLabelSelector(partyPolicy.getSpec().getIngress().get(1).getFrom().get(0)
        .getPodSelector()).list().getItems())
        .extracting(p -> p.getMetadata().getName()).containsExactly(pod.getMetadata().getName());
  }
}
