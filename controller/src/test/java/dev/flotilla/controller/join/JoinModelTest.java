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
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
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
  @DisplayName("the renewal Secret flotilla-renewal.<job>.<organisation> keeps a renewal's key and CSR, and gives the key back; "
      + "emptied, absent, or holding a key that is not the CSR's, it keeps none")
  void renewalSecretKeepsTheKey() {
    JoinModel.Join join = JoinModel.parse(secret(valid(), JoinModel.TYPE));
    dev.flotilla.certs.CertificateSigningRequest pending = dev.flotilla.certs.CertificateSigningRequest.create(join.identity(),
        List.of(join.partyHost()), dev.flotilla.certs.KeyType.EC_P256);

    Secret kept = JoinModel.renewalSecret(join.namespace(), join.renewalSecretName(), pending);

    assertThat(kept.getMetadata().getName()).isEqualTo("flotilla-renewal.mnist.alice");
    assertThat(kept.getMetadata().getNamespace()).isEqualTo("flotilla-system");
    assertThat(kept.getData()).containsOnlyKeys("tls.key", "tls.csr");
    assertThat(JoinModel.pendingKey(kept)).hasValueSatisfying(k -> {
      assertThat(k.getPublic()).isEqualTo(pending.publicKey());
      assertThat(k.getPrivate()).isEqualTo(pending.privateKey());
    });
    assertThat(JoinModel.pendingKey(JoinModel.renewalSecret(join.namespace(), join.renewalSecretName(), null))).isEmpty();
    assertThat(JoinModel.pendingKey(null)).isEmpty();
    Secret mismatched = JoinModel.renewalSecret(join.namespace(), join.renewalSecretName(), pending);
    mismatched.getData().put("tls.key", JoinModel.renewalSecret(join.namespace(), join.renewalSecretName(), dev.flotilla.certs.CertificateSigningRequest.create(
        join.identity(), List.of(), dev.flotilla.certs.KeyType.EC_P256)).getData().get("tls.key"));
    assertThat(JoinModel.pendingKey(mismatched)).isEmpty();
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

  @org.junit.jupiter.api.Nested
  @DisplayName("key namespaces: which namespaces' jobs may use the enrolled identity")
  class Namespaces {
    Secret withNamespaces(String namespaces) {
      Map<String, String> data = valid();
      data.put("namespaces", namespaces);
      return secret(data, JoinModel.TYPE);
    }

    @Test
    @DisplayName("parsed: spaces around a name dropped, a repeated name once; the listed namespaces are allowed, another is "
        + "refused with a message naming the namespace, the organisation, the join Secret and the allowed namespaces")
    void parsedAndEnforced() {
      Secret secret = withNamespaces("hospital, research ,hospital");
      JoinModel.Join join = JoinModel.parse(secret);
      assertThat(join.namespaces()).containsExactly("hospital", "research");
      String identity = join.identitySecretName();
      assertThat(JoinModel.namespaceRefusal(List.of(secret), identity, "hospital")).isEmpty();
      assertThat(JoinModel.namespaceRefusal(List.of(secret), identity, "research")).isEmpty();
      assertThat(JoinModel.namespaceRefusal(List.of(secret), identity, "tenant")).contains("namespace tenant may not use organisation alice's enrolled identity: "
          + "join Secret flotilla-system/join-alice allows only hospital, research");
      assertThat(JoinModel.unrestrictedWarning(withNamespaces("hospital"))).isEmpty();
    }

    @Test
    @DisplayName("absent: every namespace may use the identity, as before, and the controller has a warning saying so and how to restrict it")
    void absentAllowsEvery() {
      Secret secret = secret(valid(), JoinModel.TYPE);
      JoinModel.Join join = JoinModel.parse(secret);
      assertThat(join.namespaces()).isEmpty();
      assertThat(JoinModel.namespaceRefusal(List.of(secret), join.identitySecretName(), "tenant")).isEmpty();
      assertThat(JoinModel.unrestrictedWarning(secret)).contains("join Secret flotilla-system/join-alice has no key namespaces: "
          + "a job in any namespace this controller watches may use the identity it enrolls, by naming its job and organisation; "
          + "to restrict it, set key namespaces to the allowed namespaces, comma-separated (Helm: joinSecret.namespaces)");
    }

    @Test
    @DisplayName("refused, naming the Secret and the bad entry: no DNS-1123 label (upper case, a dot, 64 characters, an empty "
        + "entry), an empty value, more than 64 names, a value longer than 64 names could be")
    void refused() {
      for (String bad : List.of("hospital,Research", "hospital,a.b", "x".repeat(64), "hospital,,lab", "hospital,", "-lab")) {
        String entry = bad.contains(",") ? bad.substring(bad.indexOf(',') + 1).split(",")[0] : bad;
        assertThatThrownBy(() -> JoinModel.parse(withNamespaces(bad))).as(bad).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("Secret flotilla-system/join-alice: key namespaces: '" + entry.strip() + "' is not a namespace name "
                + "(a DNS-1123 label: a-z, 0-9 and '-', at most 63 characters)");
      }
      assertThatThrownBy(() -> JoinModel.parse(withNamespaces("  "))).hasMessage("Secret flotilla-system/join-alice: key "
          + "namespaces is empty: list the namespaces that may use the enrolled identity, or remove the key");
      String sixtyFive = IntStream.range(0, 65).mapToObj(i -> "ns" + i).collect(Collectors.joining(","));
      assertThatThrownBy(() -> JoinModel.parse(withNamespaces(sixtyFive)))
          .hasMessage("Secret flotilla-system/join-alice: key namespaces lists 65 namespaces, more than 64");
      String sixtyFour = IntStream.range(0, 64).mapToObj(i -> "ns" + i).collect(Collectors.joining(","));
      assertThat(JoinModel.parse(withNamespaces(sixtyFour)).namespaces()).hasSize(64).contains("ns0", "ns63");
      String longest = IntStream.range(0, 64).mapToObj(i -> String.format("%02d", i) + "x".repeat(61)).collect(Collectors.joining(","));
      assertThat(JoinModel.parse(withNamespaces(longest)).namespaces()).as("64 names of 63 characters fit").hasSize(64);
      assertThatThrownBy(() -> JoinModel.parse(withNamespaces("a".repeat(5000))))
          .hasMessage("Secret flotilla-system/join-alice: key namespaces is longer than 4096 bytes");
    }

    @Test
    @DisplayName("for an identity Secret: the join Secret naming it decides; one of another organisation does not; an invalid "
        + "key namespaces refuses (a typo must not open the identity to every namespace), a token removed after enrollment "
        + "changes nothing; no join Secret at all restricts nothing")
    void refusalAmongJoinSecrets() {
      Secret hospitalOnly = withNamespaces("hospital");
      Map<String, String> otherOrg = valid();
      otherOrg.put("organisation", "bob");
      otherOrg.put("namespaces", "lab");
      Secret bob = secret(otherOrg, JoinModel.TYPE);
      String alice = "flotilla-enrolled.mnist.alice";
      assertThat(JoinModel.namespaceRefusal(List.of(bob, hospitalOnly), alice, "hospital")).isEmpty();
      assertThat(JoinModel.namespaceRefusal(List.of(bob, hospitalOnly), alice, "lab"))
          .contains("namespace lab may not use organisation alice's enrolled identity: join Secret flotilla-system/join-alice "
              + "allows only hospital");
      assertThat(JoinModel.namespaceRefusal(List.of(bob), alice, "tenant")).as("no join Secret of alice's").isEmpty();
      assertThat(JoinModel.namespaceRefusal(List.of(secret(valid(), JoinModel.TYPE)), alice, "tenant")).as("unrestricted").isEmpty();
      assertThat(JoinModel.namespaceRefusal(List.of(withNamespaces("hospital;lab")), alice, "hospital"))
          .contains("namespace hospital may not use organisation alice's enrolled identity: Secret flotilla-system/join-alice: "
              + "key namespaces: 'hospital;lab' is not a namespace name (a DNS-1123 label: a-z, 0-9 and '-', at most 63 characters)");
      assertThat(JoinModel.claimedIdentitySecretName(withNamespaces("hospital;lab"))).contains(alice);
      // the token removed once spent: the Secret no longer parses as a join, and still says which namespaces may
      Secret spent = withNamespaces("hospital");
      spent.getData().remove("token");
      assertThatThrownBy(() -> JoinModel.parse(spent)).hasMessageContaining("has no key token");
      assertThat(JoinModel.namespaceRefusal(List.of(spent), alice, "hospital")).isEmpty();
      assertThat(JoinModel.namespaceRefusal(List.of(spent), alice, "lab")).isPresent();
    }
  }
}
