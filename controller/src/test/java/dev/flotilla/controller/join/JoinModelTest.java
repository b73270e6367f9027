package dev.flotilla.controller.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.RenewalPolicy;
import dev.flotilla.certs.enroll.CaPin;
import dev.flotilla.certs.enroll.RevokedSerials;
import dev.flotilla.controller.model.CertificateModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("JoinModel: the join Secret a party organisation writes, and the identity Secret its controller keeps")
class JoinModelTest {
  static final String TOKEN = "abcdef.0123456789abcdef:sha256:" + "0".repeat(64);

  static Map<String, String> valid() {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("token", TOKEN);
    data.put("endpoint", "https://203.0.113.7:443");
    data.put("domain", "fl.example.org");
    data.put("job", "mnist");
    data.put("organisation", "alice");
    return data;
  }

  static Secret secret(Map<String, String> plain, String type) {
    Map<String, String> data = new LinkedHashMap<>();
    plain.forEach((k, v) -> data.put(k, CertificateModel.encode(v)));
    return new SecretBuilder().withNewMetadata().withName("join-alice").withNamespace("flotilla-system").endMetadata()
        .withType(type).withData(data).build();
  }

  @Test
  @DisplayName("a whole join Secret: token, pin, endpoint, identity, the identity Secret's name and the party host")
  void parses() {
    JoinModel.Join join = JoinModel.parse(secret(valid(), JoinModel.TYPE));
    assertThat(join.namespace()).isEqualTo("flotilla-system");
    assertThat(join.name()).isEqualTo("join-alice");
    assertThat(join.token().token().id()).isEqualTo("abcdef");
    assertThat(join.token().pin()).isEqualTo(CaPin.parse("sha256:" + "0".repeat(64)));
    assertThat(join.endpoint().toString()).isEqualTo("https://203.0.113.7:443");
    assertThat(join.identity()).isEqualTo(Identity.party("fl.example.org", "mnist", "alice"));
    assertThat(join.identitySecretName()).isEqualTo("flotilla-enrolled.mnist.alice");
    assertThat(join.partyHost()).isEqualTo("mnist.alice.party.fl.example.org");
    assertThat(join.toString()).doesNotContain("0123456789abcdef");
  }

  @Test
  @DisplayName("refused, naming the key and never the token's secret: wrong type, a missing key, a bad token, a plain-http or "
      + "host-less endpoint, an organisation that is no DNS label, a value over 1 KiB")
  void refuses() {
    assertThatThrownBy(() -> JoinModel.parse(secret(valid(), "Opaque"))).hasMessageContaining("is not of type flotilla.dev/join");
    for (String key : valid().keySet()) {
      Map<String, String> data = valid();
      data.remove(key);
      assertThatThrownBy(() -> JoinModel.parse(secret(data, JoinModel.TYPE))).as(key).hasMessageContaining("has no key " + key);
    }
    Map<String, String> badToken = valid();
    badToken.put("token", "abcdef.0123456789abcdeX:sha256:" + "0".repeat(64));
    assertThatThrownBy(() -> JoinModel.parse(secret(badToken, JoinModel.TYPE))).hasMessageContaining("key token")
        .hasMessageNotContaining("0123456789abcde");
    Map<String, String> http = valid();
    http.put("endpoint", "http://203.0.113.7");
    assertThatThrownBy(() -> JoinModel.parse(secret(http, JoinModel.TYPE))).hasMessageContaining("must be https://HOST[:PORT]");
    Map<String, String> badOrg = valid();
    badOrg.put("organisation", "Alice Corp");
    assertThatThrownBy(() -> JoinModel.parse(secret(badOrg, JoinModel.TYPE))).isInstanceOf(IllegalArgumentException.class);
    Map<String, String> huge = valid();
    huge.put("job", "a".repeat(2000));
    assertThatThrownBy(() -> JoinModel.parse(secret(huge, JoinModel.TYPE))).hasMessageContaining("key job is longer than 1024 bytes");
  }

  @Test
  @DisplayName("the identity Secret: kubernetes.io/tls beside the join Secret, tls.crt, tls.key, ca.crt, serial, renewal time and "
      + "identity annotations; read back to the same certificate and key")
  void identitySecret() {
    CertificateAuthority ca = JobPki.newAuthority("coordinator CA", Duration.ofDays(30));
    IssuedCertificate issued = ca.issue(LeafRequest.builder(Identity.party("fl.example.org", "mnist", "alice")).build());
    JoinModel.Join join = JoinModel.parse(secret(valid(), JoinModel.TYPE));
    Secret s = JoinModel.identitySecret(join, issued);
    assertThat(s.getMetadata().getName()).isEqualTo("flotilla-enrolled.mnist.alice");
    assertThat(s.getMetadata().getNamespace()).isEqualTo("flotilla-system");
    assertThat(s.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(s.getData()).containsOnlyKeys("tls.crt", "tls.key", "ca.crt");
    assertThat(CertificateModel.decode(s.getData().get("ca.crt"))).isEqualTo(Pem.encode(ca.rootCertificate()));
    assertThat(s.getMetadata().getAnnotations())
        .containsEntry("flotilla.dev/serial", RevokedSerials.hex(issued.certificate().getSerialNumber()))
        .containsEntry("flotilla.dev/renew-after", RenewalPolicy.renewalTime(issued.certificate()).toString())
        .containsEntry("flotilla.dev/identity", "spiffe://fl.example.org/job/mnist/party/alice");
    assertThat(s.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "flotilla-controller");
    IssuedCertificate back = JoinModel.identityOf(s);
    assertThat(back.certificate()).isEqualTo(issued.certificate());
    assertThat(back.privateKey()).isEqualTo(issued.privateKey());
    assertThat(back.caCertificate()).isEqualTo(ca.rootCertificate());
  }
}
