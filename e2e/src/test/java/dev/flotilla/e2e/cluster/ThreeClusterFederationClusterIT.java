package dev.flotilla.e2e.cluster;

import static dev.flotilla.e2e.cluster.ThreeOrganisations.COORDINATOR;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.DOMAIN;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.ENROLL_HOST;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.JOB;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.JOB_NS;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.NS;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.PARTIES;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.REFRESH;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.WAIT;
import static dev.flotilla.testing.RealServer.NGINX;
import static dev.flotilla.testing.RealServer.SINGLE_NODE_CLUSTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.Pem;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A federation of three organisations, each with its own real cluster on this machine ({@code cluster.sh
 * --name}), its own controller (a process of its own with that cluster's kubeconfig) and its own nginx
 * on its own address: the coordinator's serves the enrollment endpoint by SNI ({@link ThreeOrganisations}).
 * A person does two things: creates an enrollment token per party organisation (and writes it into that
 * organisation's join Secret) and creates the Federation resource. The party clusters' controllers enroll
 * through the coordinator's nginx, follow the coordinator's member list, and write their own CoreDNS
 * records; an edit of the coordinator's address reaches both with nothing else edited.
 */
@RequiresRealServers({SINGLE_NODE_CLUSTER, NGINX})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("a federation across three real clusters: enrollment through the coordinator's ingress, routes followed by both parties")
class ThreeClusterFederationClusterIT {

  /** Where the edited coordinator address points: an address of no cluster (the records are what is checked). */
  static final String MOVED_ADDRESS = "10.220.0.99";

  ThreeOrganisations orgs;
  long enrolledMs;

  @BeforeAll
  void threeOrganisations(@TempDir Path work) throws Exception {
    orgs = ThreeOrganisations.start(work, c -> { });
  }

  @AfterAll
  void stop() {
    if (orgs != null) {
      orgs.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("the person's two steps (a token per party organisation in its join Secret; the Federation) suffice: both parties "
      + "enroll through the coordinator's nginx, their keys made and kept in their own clusters")
  void partiesEnrollThroughTheCoordinatorsIngress() throws Exception {
    long start = System.nanoTime();
    orgs.enroll();
    enrolledMs = (System.nanoTime() - start) / 1_000_000;

    X509Certificate ca = Pem.parseCertificates(orgs.caPem, "the coordinator's CA").get(0);
    List<String> partyKeys = new ArrayList<>();
    for (String party : PARTIES) {
      Secret enrolled = orgs.clients.get(party).secrets().inNamespace(NS).withName("flotilla-enrolled." + JOB + "." + party).get();
      assertThat(enrolled).as(party + ": flotilla-enrolled." + JOB + "." + party).isNotNull();
      X509Certificate leaf = Pem.parseCertificates(decoded(enrolled, "tls.crt"), enrolled.getMetadata().getName()).get(0);
      leaf.verify(ca.getPublicKey());
      assertThat(leaf.getSubjectAlternativeNames().toString()).contains("spiffe://" + DOMAIN + "/job/" + JOB + "/party/" + party);
      partyKeys.add(decoded(enrolled, "tls.key").strip());
    }
    // the keys never reached the coordinator's API server
    KubernetesClient coordinator = orgs.clients.get(COORDINATOR);
    for (Secret s : coordinator.secrets().inAnyNamespace().list().getItems()) {
      for (String value : s.getData() == null ? List.<String>of() : s.getData().values()) {
        String text = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
        partyKeys.forEach(key -> assertThat(text).as("Secret " + s.getMetadata().getName()).doesNotContain(key));
      }
    }
    // the parties reached the endpoint only through the coordinator's nginx, by the enrollment host's SNI (nginx logs a
    // session when it ends: the clients' keep-alive connections close within seconds)
    await("enrollment sessions in the coordinator nginx's stream log").atMost(Duration.ofMinutes(1))
        .until(() -> orgs.coordinatorIngress().streamAccessLog().contains("sni=\"" + ENROLL_HOST + "\""));
  }

  @Test
  @Order(2)
  @DisplayName("each party cluster's CoreDNS holds the coordinator's and the other party's records and the coordinator's CA; "
      + "one edit of the coordinator's address reaches both party clusters")
  void routesFollowOneEdit() {
    String coordinatorAddress = orgs.clusters.get(COORDINATOR).address();
    await("routes in both party clusters").atMost(WAIT).untilAsserted(() -> {
      for (String party : PARTIES) {
        assertThat(orgs.records(party)).as(party).isEqualTo(orgs.expectedRecords(coordinatorAddress, party));
        ConfigMap trust = orgs.clients.get(party).configMaps().inNamespace(JOB_NS)
            .withName("flotilla-federation-trust." + DOMAIN).get();
        assertThat(trust).as(party + ": trust bundle").isNotNull();
        assertThat(trust.getData()).containsEntry("ca.crt", orgs.caPem);
      }
    });

    long edit = System.nanoTime();
    orgs.moveCoordinator(MOVED_ADDRESS);
    await("both party clusters follow").atMost(WAIT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
      for (String party : PARTIES) {
        assertThat(orgs.records(party)).as(party).isEqualTo(orgs.expectedRecords(MOVED_ADDRESS, party));
      }
    });
    long followMs = (System.nanoTime() - edit) / 1_000_000;
    System.out.printf(Locale.ROOT, "three-cluster federation: token to both parties enrolled (through the coordinator's nginx) "
        + "%d ms; the coordinator's address change reached both party clusters' CoreDNS in %d ms (refresh %d ms); "
        + "load average %s%n", enrolledMs, followMs, REFRESH.toMillis(), ThreeOrganisations.loadAverage());
  }

  static String decoded(Secret secret, String key) {
    return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }
}
