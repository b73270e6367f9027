package dev.flotilla.certs.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.kubernetes.KubernetesCertificateStore.Outcome;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubernetesCertificateStoreTest {
  static KubernetesClient client;

  private static CertificateAuthority ca;
  private static IssuedCertificate server;
  private static final OwnerReference OWNER = new OwnerReferenceBuilder()
      .withApiVersion("git.iflytek.com/v1").withKind("IflearnerJob").withName("job1")
      .withUid("8c1b8e8e-0000-4000-8000-000000000001").withController(true).withBlockOwnerDeletion(true).build();

  @BeforeAll
  static void issue() {
    ca = JobPki.newAuthority("Store CA", Duration.ofDays(30));
    server = ca.issue(LeafRequest.builder(Identity.server("example.org", "job1", "job1")).dnsNames("*.server.example.org").build());
  }

  private KubernetesCertificateStore store() {
    return new KubernetesCertificateStore(client);
  }

  @Test
  @DisplayName("a TLS Secret is kubernetes.io/tls with PEM tls.crt, tls.key and ca.crt, labelled and owned, and reads back")
  void writesTlsSecret() {
    assertThat(store().writeTlsSecret("ns1", "job1-server-tls", server, Map.of("flotilla.dev/job", "job1"), OWNER))
        .isEqualTo(Outcome.CREATED);
    Secret secret = client.secrets().inNamespace("ns1").withName("job1-server-tls").get();
    assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(secret.getData()).containsOnlyKeys("tls.crt", "tls.key", "ca.crt");
    assertThat(decode(secret, "tls.crt")).startsWith("-----BEGIN CERTIFICATE-----");
    assertThat(decode(secret, "tls.key")).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(secret.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "flotilla")
        .containsEntry("flotilla.dev/job", "job1");
    assertThat(secret.getMetadata().getOwnerReferences()).containsExactly(OWNER);

    IssuedCertificate read = store().readTlsSecret("ns1", "job1-server-tls").orElseThrow();
    assertThat(read.certificate()).isEqualTo(server.certificate());
    assertThat(read.privateKey()).isEqualTo(server.privateKey());
    assertThat(read.caCertificate()).isEqualTo(ca.certificate());
  }

  @Test
  @DisplayName("writing the same certificate again changes nothing (same resourceVersion); a renewed one updates the Secret")
  void idempotent() {
    store().writeTlsSecret("ns2", "tls", server, Map.of(), null);
    String version = client.secrets().inNamespace("ns2").withName("tls").get().getMetadata().getResourceVersion();
    assertThat(store().writeTlsSecret("ns2", "tls", server, Map.of(), null)).isEqualTo(Outcome.UNCHANGED);
    assertThat(client.secrets().inNamespace("ns2").withName("tls").get().getMetadata().getResourceVersion())
        .isEqualTo(version);

    IssuedCertificate renewed = ca.issue(LeafRequest.builder(Identity.server("example.org", "job1", "job1")).dnsNames("*.server.example.org").build());
    assertThat(store().writeTlsSecret("ns2", "tls", renewed, Map.of(), OWNER)).isEqualTo(Outcome.UPDATED);
    Secret secret = client.secrets().inNamespace("ns2").withName("tls").get();
    assertThat(store().readTlsSecret("ns2", "tls").orElseThrow().certificate()).isEqualTo(renewed.certificate());
    assertThat(secret.getMetadata().getOwnerReferences()).containsExactly(OWNER);
  }

  @Test
  @DisplayName("reading an absent Secret gives empty; a Secret of another type is refused, not overwritten")
  void absentAndWrongType() {
    assertThat(store().readTlsSecret("ns3", "nothing")).isEmpty();
    client.secrets().inNamespace("ns3").resource(new SecretBuilder().withNewMetadata().withName("opaque").endMetadata()
        .withType("Opaque").withData(Map.of("x", "eQ==")).build()).create();
    assertThatThrownBy(() -> store().writeTlsSecret("ns3", "opaque", server, Map.of(), null))
        .hasMessageContaining("Secret ns3/opaque exists with type Opaque");
    assertThat(client.secrets().inNamespace("ns3").withName("opaque").get().getData()).containsOnlyKeys("x");
  }

  @Test
  @DisplayName("a CA bundle ConfigMap holds ca.crt in PEM, is idempotent and labelled, and reads back every CA")
  void caBundle() {
    CertificateAuthority next = JobPki.newAuthority("Next CA", Duration.ofDays(30));
    List<java.security.cert.X509Certificate> bundle = List.of(ca.certificate(), next.certificate());
    assertThat(store().writeCaBundle("ns4", "flotilla-ca", bundle, Map.of(), OWNER)).isEqualTo(Outcome.CREATED);
    assertThat(store().writeCaBundle("ns4", "flotilla-ca", bundle, Map.of(), OWNER)).isEqualTo(Outcome.UNCHANGED);
    ConfigMap map = client.configMaps().inNamespace("ns4").withName("flotilla-ca").get();
    assertThat(map.getData().get("ca.crt")).startsWith("-----BEGIN CERTIFICATE-----");
    assertThat(map.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "flotilla");
    assertThat(map.getMetadata().getOwnerReferences()).containsExactly(OWNER);
    assertThat(store().readCaBundle("ns4", "flotilla-ca").orElseThrow()).containsExactlyElementsOf(bundle);
    assertThat(store().writeCaBundle("ns4", "flotilla-ca", List.of(next.certificate()), Map.of(), OWNER))
        .isEqualTo(Outcome.UPDATED);
    assertThat(store().readCaBundle("ns4", "flotilla-ca").orElseThrow()).containsExactly(next.certificate());
    assertThat(store().readCaBundle("ns4", "absent")).isEmpty();
  }

  private static String decode(Secret secret, String key) {
    return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.US_ASCII);
  }
}
