package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.enroll.CaPin;
import dev.flotilla.certs.enroll.EnrollmentClient;
import dev.flotilla.certs.enroll.EnrollmentException;
import dev.flotilla.certs.enroll.EnrollmentToken;
import dev.flotilla.certs.enroll.JoinToken;
import dev.flotilla.controller.enroll.AttemptLimiter;
import dev.flotilla.controller.enroll.EnrollmentModel;
import dev.flotilla.controller.enroll.EnrollmentServer;
import dev.flotilla.controller.enroll.EnrollmentService;
import dev.flotilla.controller.enroll.EnrollmentStore;
import dev.flotilla.controller.enroll.TokenGrant;
import dev.flotilla.controller.operator.CertificateAuthorities;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The enrollment endpoint as the shipped ServiceAccount on a real kube-apiserver with RBAC: with
 * config/default alone it cannot spend a token (no {@code update} on Secrets), with config/rbac/enroll
 * added it enrolls. EnrollmentIT runs as the API server's admin and cannot see this.
 */
@DisplayName("enrollment privileges: config/rbac/enroll gives the endpoint exactly the writes it makes")
class EnrollmentPrivilegeIT extends OnKubeApiServer {
  static final String DOMAIN = "fl.example.org";
  static final String JOBS = "default";
  static final Duration WAIT = Duration.ofSeconds(60);

  static KubeApi.ShippedDeployment deployment;
  static KubernetesClient asController;

  @BeforeAll
  static void deploy() {
    deployment = new KubeApi.ShippedDeployment(kubeConfigYaml, "config/default");
    asController = KubeApi.serviceAccountClient(deployment.admin, kubeConfigYaml, KubeApi.ShippedDeployment.NAMESPACE,
        KubeApi.ShippedDeployment.SERVICE_ACCOUNT);
  }

  @AfterAll
  static void close() {
    if (asController != null) {
      asController.close();
    }
    if (deployment != null) {
      deployment.close();
    }
  }

  /** A token for {@code organisation} made as the coordinator's admin types 'enroll token create'. */
  static JoinToken token(String organisation) {
    KubernetesClient admin = deployment.admin;
    CertificateAuthorities cas = new CertificateAuthorities(admin, KubeApi.ShippedDeployment.NAMESPACE,
        ObservedState.direct(admin, KubeApi.ShippedDeployment.NAMESPACE));
    EnrollmentToken token = EnrollmentToken.generate(new SecureRandom());
    new EnrollmentStore(admin, KubeApi.ShippedDeployment.NAMESPACE).create(TokenGrant.of(token, DOMAIN, JOBS, "mnist", organisation,
        Instant.now().plus(Duration.ofHours(1)), 1));
    return new JoinToken(token, CaPin.of(cas.ensure(JOBS, DOMAIN).ca().rootCertificate()));
  }

  static IssuedCertificate enroll(EnrollmentServer endpoint, JoinToken token, String organisation) {
    Identity identity = Identity.party(DOMAIN, "mnist", organisation);
    CertificateSigningRequest csr = CertificateSigningRequest.create(identity, List.of("mnist." + organisation + ".party." + DOMAIN),
        KeyType.EC_P256);
    return new EnrollmentClient(URI.create("https://127.0.0.1:" + endpoint.port()), DOMAIN, Duration.ofSeconds(30))
        .enroll(token, identity, csr);
  }

  static int used(JoinToken token) {
    return EnrollmentModel.grantOf(deployment.admin.secrets().inNamespace(KubeApi.ShippedDeployment.NAMESPACE)
        .withName(EnrollmentModel.tokenSecretName(token.token().id())).get()).used();
  }

  @Test
  @DisplayName("as the ServiceAccount: refused (500, token unspent) with config/default alone; enrolled, token spent and serial noted "
      + "once config/rbac/enroll is applied")
  void shippedRoles() throws Exception {
    Clock clock = Clock.systemUTC();
    EnrollmentService service = new EnrollmentService(EnrollmentService.Federation.parse(JOBS + "/" + DOMAIN),
        new CertificateAuthorities(asController, KubeApi.ShippedDeployment.NAMESPACE,
            ObservedState.direct(asController, KubeApi.ShippedDeployment.NAMESPACE)),
        new EnrollmentStore(asController, KubeApi.ShippedDeployment.NAMESPACE), clock);
    try (EnrollmentServer endpoint = new EnrollmentServer(new InetSocketAddress("127.0.0.1", 0), service,
        new AttemptLimiter(100, Duration.ofMinutes(1), clock), clock)) {
      JoinToken alice = token("alice");
      assertThatThrownBy(() -> enroll(endpoint, alice, "alice")).isInstanceOfSatisfying(EnrollmentException.class,
          e -> assertThat(e.status()).isEqualTo(500));
      assertThat(used(alice)).as("a failed write spends nothing").isZero();
      KubeApi.assertForbidden(() -> asController.secrets().inNamespace(KubeApi.ShippedDeployment.NAMESPACE)
          .withName(EnrollmentModel.tokenSecretName(alice.token().id())).edit(s -> s), "update on token Secrets without rbac/enroll");

      KubeApi.applyKustomization(deployment.admin, Samples.repoRoot().resolve("config/rbac/enroll"));
      IssuedCertificate issued = await("RBAC in effect").atMost(WAIT).ignoreExceptionsInstanceOf(EnrollmentException.class)
          .until(() -> enroll(endpoint, alice, "alice"), c -> c != null);
      assertThat(Identity.of(issued.certificate())).isEqualTo(Identity.party(DOMAIN, "mnist", "alice"));
      assertThat(used(alice)).isEqualTo(1);
      assertThat(deployment.admin.configMaps().inNamespace(KubeApi.ShippedDeployment.NAMESPACE)
          .withName(EnrollmentModel.enrolledName(DOMAIN)).get().getData()).containsKey("alice");
    }
  }
}
