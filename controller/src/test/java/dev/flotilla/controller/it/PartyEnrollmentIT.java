package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.Pem;
import dev.flotilla.controller.ControllerMain;
import dev.flotilla.controller.enroll.AttemptLimiter;
import dev.flotilla.controller.enroll.EnrollmentModel;
import dev.flotilla.controller.enroll.EnrollmentServer;
import dev.flotilla.controller.enroll.EnrollmentService;
import dev.flotilla.controller.enroll.EnrollmentStore;
import dev.flotilla.controller.join.JoinController;
import dev.flotilla.controller.join.JoinModel;
import dev.flotilla.controller.join.PartyEnroller;
import dev.flotilla.controller.operator.CertificateAuthorities;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.testing.ManualClock;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Two organisations, two real kube-apiservers: the coordinator's (the class's own) with the enrollment
 * endpoint, and the party organisation's with its controller running {@code --join} ({@link JoinController})
 * in this JVM. A person does two things: the coordinator makes a token, the party organisation puts it in a
 * join Secret. Everything else is the controllers'.
 */
@DisplayName("party enrollment across two clusters: the party's controller enrolls and renews by itself, its key never in the coordinator's cluster")
class PartyEnrollmentIT extends OnKubeApiServer {
  static final String CONTROLLER_NS = "flotilla-system";
  static final String JOB_NS = "fl";
  static final String DOMAIN = "fl.example.org";
  static final String JOB = "mnist";
  static final Duration WAIT = Duration.ofSeconds(90);

  static KubeAPIServer partyApi;
  static KubernetesClient coordinator;
  static KubernetesClient party;
  static Path coordinatorKubeconfig;
  static CertificateAuthorities authorities;
  static EnrollmentServer endpoint;
  static JoinController joins;

  @BeforeAll
  static void twoClusters() throws Exception {
    coordinator = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    partyApi = startAnother();
    party = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(partyApi.getKubeConfigYaml())).build();
    assertThat(party.getMasterUrl()).as("two API servers").isNotEqualTo(coordinator.getMasterUrl());
    for (String ns : List.of(CONTROLLER_NS, JOB_NS)) {
      coordinator.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }
    party.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(CONTROLLER_NS).endMetadata().build()).create();
    coordinatorKubeconfig = Files.createTempFile("coordinator", ".kubeconfig");
    Files.writeString(coordinatorKubeconfig, kubeConfigYaml);
    authorities = new CertificateAuthorities(coordinator, CONTROLLER_NS, ObservedState.direct(coordinator, CONTROLLER_NS));
    Clock clock = Clock.systemUTC();
    endpoint = new EnrollmentServer(new InetSocketAddress("127.0.0.1", 0), new EnrollmentService(
        EnrollmentService.Federation.parse(JOB_NS + "/" + DOMAIN), authorities, new EnrollmentStore(coordinator, CONTROLLER_NS), clock),
        new AttemptLimiter(100, Duration.ofMinutes(1), clock), clock);
    joins = new JoinController(party, CONTROLLER_NS, clock, Duration.ZERO).start();
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {joins, endpoint, party, coordinator}) {
      if (c != null) {
        c.close();
      }
    }
    if (partyApi != null) {
      partyApi.stop();
    }
    if (coordinatorKubeconfig != null) {
      Files.deleteIfExists(coordinatorKubeconfig);
    }
  }

  /** {@code controller enroll token create} on the coordinator's side; the join token it prints. */
  static String token(String organisation) {
    EnrollmentIT.Run r = EnrollmentIT.run(ControllerMain.commandLine(), "enroll", "token", "create", "--kubeconfig",
        coordinatorKubeconfig.toString(), "--controller-namespace", CONTROLLER_NS, "--federation", JOB_NS + "/" + DOMAIN,
        "--job", JOB, "--organisation", organisation, "--ttl", "1h", "--uses", "1");
    assertThat(r.exit()).as(r.err()).isZero();
    return r.out().strip();
  }

  /** What the party organisation's person writes into its own cluster. */
  static void joinSecret(String name, String joinToken, String organisation) {
    party.secrets().inNamespace(CONTROLLER_NS).resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
        .withType(JoinModel.TYPE)
        .addToStringData(JoinModel.TOKEN, joinToken)
        .addToStringData(JoinModel.ENDPOINT, "https://127.0.0.1:" + endpoint.port())
        .addToStringData(JoinModel.DOMAIN, DOMAIN)
        .addToStringData(JoinModel.JOB, JOB)
        .addToStringData(JoinModel.ORGANISATION, organisation).build()).create();
  }

  static String annotation(String secret, String key) {
    Secret s = party.secrets().inNamespace(CONTROLLER_NS).withName(secret).get();
    return s == null || s.getMetadata().getAnnotations() == null ? null : s.getMetadata().getAnnotations().get(key);
  }

  /** Every Secret and ConfigMap of every namespace of {@code client}, as the text of their values (and base64 as stored). */
  static String everything(KubernetesClient client) {
    StringBuilder all = new StringBuilder();
    for (Secret s : client.secrets().inAnyNamespace().list().getItems()) {
      if (s.getData() != null) {
        s.getData().values().forEach(v -> all.append(v).append('\n').append(new String(Base64.getDecoder().decode(v),
            StandardCharsets.UTF_8)).append('\n'));
      }
    }
    client.configMaps().inAnyNamespace().list().getItems().forEach(c -> {
      if (c.getData() != null) {
        c.getData().values().forEach(v -> all.append(v).append('\n'));
      }
    });
    return all.toString();
  }

  /** The private key in the forms it could be stored in: PEM, its base64 body on one line, and the base64 of the PEM. */
  static List<String> forms(String pem) {
    String body = pem.lines().filter(l -> !l.startsWith("-----")).reduce("", String::concat);
    return List.of(pem.strip(), body, Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8)));
  }

  static IssuedCertificate identity(String organisation) {
    return JoinModel.identityOf(party.secrets().inNamespace(CONTROLLER_NS).withName("flotilla-enrolled." + JOB + "." + organisation).get());
  }

  @Test
  @DisplayName("a join Secret in the party cluster: the controller makes the key there, enrolls, stores key, certificate and the "
      + "coordinator's CA; renews with its current certificate; the coordinator's Secrets and ConfigMaps never hold either key")
  void enrollsAndRenews() throws Exception {
    joinSecret("join-alice", token("alice"), "alice");
    await("enrolled").atMost(WAIT).until(() -> "Enrolled".equals(annotation("join-alice", JoinModel.STATE)));
    IssuedCertificate enrolled = identity("alice");
    CertificateAuthority ca = authorities.ensure(JOB_NS, DOMAIN).ca();
    assertThat(Identity.of(enrolled.certificate())).isEqualTo(Identity.party(DOMAIN, JOB, "alice"));
    assertThat(enrolled.caCertificate()).isEqualTo(ca.rootCertificate());
    enrolled.certificate().verify(ca.rootCertificate().getPublicKey()); // chains to the coordinator's CA
    assertThat(CertificateAuthority.keyMatches(enrolled.certificate().getPublicKey(), enrolled.privateKey())).isTrue();
    assertThat(annotation("join-alice", JoinModel.MESSAGE)).startsWith("serial ").contains("flotilla-enrolled.mnist.alice");

    // renewal, as the controller does it once two thirds of the lifetime are gone
    ManualClock later = new ManualClock(Instant.now().plus(Duration.ofDays(61)));
    PartyEnroller.Result renewed = new PartyEnroller(party, PartyEnroller::clientFor, later).reconcile(CONTROLLER_NS, "join-alice");
    assertThat(renewed.state()).as(renewed.message()).isEqualTo("Renewed");
    IssuedCertificate next = identity("alice");
    assertThat(next.certificate().getSerialNumber()).isNotEqualTo(enrolled.certificate().getSerialNumber());
    assertThat(next.privateKey()).isNotEqualTo(enrolled.privateKey());
    assertThat(Identity.of(next.certificate())).isEqualTo(Identity.of(enrolled.certificate()));
    next.certificate().verify(ca.rootCertificate().getPublicKey());

    String coordinatorHolds = everything(coordinator);
    List<String> partyKeys = new ArrayList<>();
    partyKeys.addAll(forms(Pem.encode(enrolled.privateKey())));
    partyKeys.addAll(forms(Pem.encode(next.privateKey())));
    for (String form : partyKeys) {
      assertThat(coordinatorHolds).as("a party key in the coordinator's API server").doesNotContain(form);
    }
    assertThat(everything(party)).as("the party cluster holds its key (the scan sees keys)").contains(forms(Pem.encode(next.privateKey())).get(0));
    assertThat(coordinatorHolds).as("the scan sees keys: the coordinator's own CA key is there").contains("PRIVATE KEY");
  }

  @Test
  @DisplayName("a revoked token is refused and the join Secret says why; the token is not spent and is not tried again")
  void revokedToken() {
    String join = token("bob");
    String id = join.substring(0, 6);
    EnrollmentIT.Run revoked = EnrollmentIT.run(ControllerMain.commandLine(), "enroll", "token", "revoke", "--kubeconfig",
        coordinatorKubeconfig.toString(), "--controller-namespace", CONTROLLER_NS, "--federation", JOB_NS + "/" + DOMAIN, "--id", id);
    assertThat(revoked.exit()).as(revoked.err()).isZero();
    assertThat(revoked.out()).isEqualTo("revoked token " + id + " of " + JOB_NS + "/" + DOMAIN + "\n");

    joinSecret("join-bob", join, "bob");
    await("refused").atMost(WAIT).until(() -> "Refused".equals(annotation("join-bob", JoinModel.STATE)));
    assertThat(annotation("join-bob", JoinModel.MESSAGE)).contains("HTTP 403").contains("token " + id + " was revoked by the coordinator at");
    assertThat(annotation("join-bob", JoinModel.TOKEN_ID)).isEqualTo(id);
    assertThat(party.secrets().inNamespace(CONTROLLER_NS).withName("flotilla-enrolled." + JOB + ".bob").get()).isNull();
    assertThat(EnrollmentModel.grantOf(coordinator.secrets().inNamespace(CONTROLLER_NS)
        .withName(EnrollmentModel.tokenSecretName(id)).get()).used()).isZero();
  }
}
