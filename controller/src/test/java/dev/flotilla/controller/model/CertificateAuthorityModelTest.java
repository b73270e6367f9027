package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class CertificateAuthorityModelTest {

  static Secret legacy(String name, Map<String, String> labels, Map<String, String> annotations, Map<String, String> data) {
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace("team-a").withLabels(labels)
        .withAnnotations(annotations).endMetadata().withType("Opaque").withData(data).build();
  }

  static final Map<String, String> MANAGED = Map.of("app.kubernetes.io/managed-by", "flotilla-controller");
  static final Map<String, String> DOMAIN = Map.of("flotilla.dev/domain", "iflearner.com");
  static final Map<String, String> KEYS = Map.of("ca.crt", CertificateModel.encode("CRT"), "ca.key", CertificateModel.encode("KEY"));

  @Test
  @DisplayName("one name per job namespace and domain, flotilla-ca.<namespace>.<domain>, never the same for two pairs")
  void names() {
    assertThat(CertificateAuthorityModel.secretName("team-a", "iflearner.com")).isEqualTo("flotilla-ca.team-a.iflearner.com");
    // with dashes for dots (the earlier naming) these two pairs would collide
    assertThat(CertificateAuthorityModel.secretName("a-b", "c.d")).isNotEqualTo(CertificateAuthorityModel.secretName("a", "b-c.d"));
    assertThat(CertificateAuthorityModel.secretName("a", "b.c.d")).isNotEqualTo(CertificateAuthorityModel.secretName("a-b", "c.d"));
  }

  @Test
  @DisplayName("a domain that would make the Secret name longer than 253 characters is refused with a message")
  void tooLong() {
    String domain = "x".repeat(60) + "." + "y".repeat(60) + "." + "z".repeat(60) + "." + "w".repeat(60) + ".org";
    assertThatThrownBy(() -> CertificateAuthorityModel.secretName("team-a", domain))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too long").hasMessageContaining("253");
  }

  @Test
  @DisplayName("the CA Secret lives in the controller's namespace, Opaque, owned by no job, labelled with the job namespace, annotated with the domain")
  void secret() {
    Secret s = CertificateAuthorityModel.secret("flotilla-system", "team-a", "iflearner.com", "CRT", "KEY");
    assertThat(s.getMetadata().getName()).isEqualTo("flotilla-ca.team-a.iflearner.com");
    assertThat(s.getMetadata().getNamespace()).isEqualTo("flotilla-system");
    assertThat(s.getMetadata().getOwnerReferences()).isEmpty();
    assertThat(s.getMetadata().getLabels()).containsExactly(entry("app.kubernetes.io/managed-by", "flotilla-controller"),
        entry("flotilla.dev/ca-for-namespace", "team-a"));
    assertThat(s.getMetadata().getAnnotations()).containsExactly(entry("flotilla.dev/domain", "iflearner.com"));
    assertThat(s.getType()).isEqualTo("Opaque");
    assertThat(s.getData()).containsOnlyKeys("ca.crt", "ca.key");
    assertThat(CertificateModel.decode(s.getData().get("ca.crt"))).isEqualTo("CRT");
    assertThat(CertificateModel.decode(s.getData().get("ca.key"))).isEqualTo("KEY");
  }

  @Test
  @DisplayName("a CA Secret of the earlier layout is recognised by name prefix, the controller's label, the domain annotation and both keys; nothing less")
  void legacyRecognised() {
    assertThat(CertificateAuthorityModel.isLegacy(legacy("flotilla-ca-iflearner-com", MANAGED, DOMAIN, KEYS))).isTrue();
    assertThat(CertificateAuthorityModel.isLegacy(legacy("my-ca", MANAGED, DOMAIN, KEYS))).as("other name").isFalse();
    assertThat(CertificateAuthorityModel.isLegacy(legacy("flotilla-ca-iflearner-com", Map.of(), DOMAIN, KEYS))).as("not labelled").isFalse();
    assertThat(CertificateAuthorityModel.isLegacy(legacy("flotilla-ca-iflearner-com", MANAGED, Map.of(), KEYS))).as("no domain").isFalse();
    assertThat(CertificateAuthorityModel.isLegacy(legacy("flotilla-ca-iflearner-com", MANAGED, DOMAIN,
        Map.of("ca.crt", CertificateModel.encode("CRT"))))).as("no key").isFalse();
    assertThat(CertificateAuthorityModel.isLegacy(CertificateAuthorityModel.secret("team-a", "team-a", "iflearner.com", "C", "K")))
        .as("the new layout in a shared namespace").isFalse();
  }

  @Test
  @DisplayName("the adopted Secret carries the same certificate and key, in the controller's namespace, and names where it came from")
  void adopted() {
    Secret a = CertificateAuthorityModel.adopted(legacy("flotilla-ca-iflearner-com", MANAGED, DOMAIN, KEYS), "flotilla-system");
    assertThat(a.getMetadata().getName()).isEqualTo("flotilla-ca.team-a.iflearner.com");
    assertThat(a.getMetadata().getNamespace()).isEqualTo("flotilla-system");
    assertThat(a.getMetadata().getLabels()).containsEntry("flotilla.dev/ca-for-namespace", "team-a");
    assertThat(a.getMetadata().getAnnotations()).containsExactly(entry("flotilla.dev/domain", "iflearner.com"),
        entry("flotilla.dev/adopted-from", "team-a/flotilla-ca-iflearner-com"));
    assertThat(a.getData()).isEqualTo(KEYS);
  }
}
