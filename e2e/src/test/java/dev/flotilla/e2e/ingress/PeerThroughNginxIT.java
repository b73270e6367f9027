package dev.flotilla.e2e.ingress;

import static dev.flotilla.testing.RealServer.NGINX;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobSpec;
import dev.flotilla.controller.api.PeerSpec;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.api.TlsSpec;
import dev.flotilla.controller.model.IngressModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.NginxAnnotations;
import dev.flotilla.demo.FederationPki;
import dev.flotilla.demo.ingress.NginxIngressConfig;
import dev.flotilla.demo.ingress.NginxProcess;
import dev.flotilla.demo.ingress.ServerIngress;
import dev.flotilla.party.peer.PeerDialer;
import dev.flotilla.party.peer.PeerEndpoint;
import dev.flotilla.party.peer.PeerReachability;
import dev.flotilla.party.peer.PeerRoster;
import dev.flotilla.protocol.v1.HelloRequest;
import dev.flotilla.protocol.v1.PeerGrpc;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.grpc.ManagedChannel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peer channel through real nginx routing by SNI (the shape of {@link UnknownServerNameIT}): bob's
 * and carol's peer endpoints sit behind one nginx port, each configured from the Ingress the
 * controller makes for a party job with {@code spec.peer}; alice reaches each by its party host name
 * (the SNI nginx routes on and the name alice verifies), over mutual TLS end to end.
 */
@RequiresRealServers(NGINX)
@DisplayName("A party reaches its peers by their party host names through nginx's SNI routing")
class PeerThroughNginxIT {

  @TempDir Path dir;
  FederationPki pki;
  final Map<String, PeerEndpoint> endpoints = new LinkedHashMap<>();
  final Map<String, Ingress> ingresses = new LinkedHashMap<>();
  NginxProcess nginx;
  final ExecutorService executor = Executors.newFixedThreadPool(2);

  /** The client job of party {@code name} of job1, with spec.peer on port {@code peerPort}, as the controller sees it. */
  static IflearnerJob partyJob(String name, int peerPort) {
    IflearnerJobSpec spec = new IflearnerJobSpec();
    spec.setRole(Role.CLIENT);
    spec.setHost(Ingresses.JOB + "." + name + ".party." + FederationPki.DOMAIN);
    spec.setTls(new TlsSpec(TlsMode.PASSTHROUGH));
    spec.setPeer(new PeerSpec(true, peerPort));
    spec.setTemplate(new PodTemplateSpecBuilder().withNewSpec()
        .addToContainers(new ContainerBuilder().withName("party").withImage(ServerIngress.RUNTIME_IMAGE).build())
        .endSpec().build());
    IflearnerJob job = new IflearnerJob();
    job.setMetadata(new ObjectMetaBuilder().withName("party-" + name).withNamespace(ServerIngress.NAMESPACE)
        .withUid("uid-" + name).build());
    job.setSpec(spec);
    return job;
  }

  @BeforeEach
  void start() throws Exception {
    pki = FederationPki.create(dir.resolve("pki"), Ingresses.JOB);
    int port = FreePorts.next();
    NginxIngressConfig.Builder config = NginxIngressConfig.builder(dir.resolve("nginx"), port);
    for (String name : List.of("bob", "carol")) {
      PeerEndpoint endpoint = PeerEndpoint.start(new InetSocketAddress("127.0.0.1", 0), Ingresses.files(pki.party(name)),
          pki.partyIdentity(name));
      endpoints.put(name, endpoint);
      Ingress ingress = IngressModel.desired(new JobModel(partyJob(name, endpoint.port())));
      ingresses.put(name, ingress);
      config.ingress(ingress).backend(pki.partyIdentity(name).partyHost(), "127.0.0.1:" + endpoint.port());
    }
    nginx = NginxProcess.start(dir.resolve("nginx"), config.build().render(), port, Duration.ofSeconds(20));
  }

  @AfterEach
  void stop() {
    if (nginx != null) {
      nginx.close();
    }
    endpoints.values().forEach(PeerEndpoint::close);
    executor.shutdownNow();
  }

  private PeerRoster.Peer throughNginx(String name, String serverName) {
    return new PeerRoster.Peer(pki.partyIdentity(name), "127.0.0.1:" + nginx.port(), serverName);
  }

  @Test
  @DisplayName("the controller's Ingress for a party with spec.peer is passthrough, by its host, to its peer port")
  void ingressShape() {
    Ingress bob = ingresses.get("bob");
    assertThat(bob.getMetadata().getAnnotations()).containsEntry(NginxAnnotations.SSL_PASSTHROUGH, "true");
    assertThat(bob.getSpec().getRules().get(0).getHost()).isEqualTo("job1.bob.party." + FederationPki.DOMAIN);
    assertThat(bob.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService().getPort().getNumber())
        .isEqualTo(endpoints.get("bob").port());
  }

  @Test
  @DisplayName("alice reaches bob and carol through one nginx port, each by its party host; each answers as itself")
  void reachedByPartyHost() throws Exception {
    PeerDialer alice = new PeerDialer(Ingresses.files(pki.party("alice")), pki.partyIdentity("alice"));
    PeerReachability probe = new PeerReachability(alice, Duration.ofSeconds(30), executor);
    for (String name : List.of("bob", "carol")) {
      PeerRoster.Peer peer = throughNginx(name, pki.partyIdentity(name).partyHost());
      assertThat(probe.probe(peer).outcome()).as(name).isEqualTo(PeerReachability.Outcome.REACHED);
      ManagedChannel channel = alice.open(peer);
      try {
        var hello = PeerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
            .hello(HelloRequest.getDefaultInstance());
        assertThat(hello.getIdentity()).isEqualTo("spiffe://" + FederationPki.DOMAIN + "/job/job1/party/" + name);
        assertThat(hello.getCaller()).isEqualTo("spiffe://" + FederationPki.DOMAIN + "/job/job1/party/alice");
      } finally {
        channel.shutdownNow();
      }
    }
    assertThat(nginx.streamAccessLog()).contains("sni=\"job1.bob.party." + FederationPki.DOMAIN + "\"")
        .contains("sni=\"job1.carol.party." + FederationPki.DOMAIN + "\"");
  }

  @Test
  @DisplayName("bob expected under carol's host name: nginx routes to carol, and alice refuses her identity in the handshake")
  void routedBySni() {
    PeerDialer alice = new PeerDialer(Ingresses.files(pki.party("alice")), pki.partyIdentity("alice"));
    PeerReachability.Result result = new PeerReachability(alice, Duration.ofSeconds(30), executor)
        .probe(throughNginx("bob", pki.partyIdentity("carol").partyHost()));
    assertThat(result.outcome()).isEqualTo(PeerReachability.Outcome.TLS);
    assertThat(result.detail()).contains("spiffe://" + FederationPki.DOMAIN + "/job/job1/party/carol, named carol");
  }
}
