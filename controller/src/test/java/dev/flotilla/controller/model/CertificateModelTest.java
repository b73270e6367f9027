package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Role;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.testing.RogueCertificates;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateModelTest {

  private static CertificateAuthority ca;
  private static CertificateAuthority otherCa;
  private static final JobModel SERVER = new JobModel(Samples.load("iflearner/iflearnerjob-server.yaml", "fl"));
  private static final JobModel PARTY_B = new JobModel(Samples.load("iflearner/iflearnerjob-client2.yaml", "fl"));

  @BeforeAll
  static void cas() {
    ca = JobPki.newAuthority("test CA", Duration.ofDays(365));
    otherCa = JobPki.newAuthority("other CA", Duration.ofDays(365));
  }

  @Test
  @DisplayName("a server's request: SERVER role, CN job1, its host as the only DNS name, spiffe://iflearner.com/job/job1/server/job1, 90 days")
  void serverRequest() {
    LeafRequest r = CertificateModel.leafRequest(SERVER);
    assertThat(r.role()).isEqualTo(Role.SERVER);
    assertThat(r.commonName()).isEqualTo("job1");
    assertThat(r.dnsNames()).containsExactly("job1.server.iflearner.com");
    assertThat(r.uri()).isEqualTo("spiffe://iflearner.com/job/job1/server/job1");
    assertThat(r.lifetime()).isEqualTo(Duration.ofDays(90));
  }

  @Test
  @DisplayName("a party's request: PARTY role (client and serving), CN b, its host as the only DNS name, spiffe://iflearner.com/job/job1/party/b")
  void partyRequest() {
    LeafRequest r = CertificateModel.leafRequest(PARTY_B);
    assertThat(r.role()).isEqualTo(Role.PARTY);
    assertThat(r.commonName()).isEqualTo("b");
    assertThat(r.dnsNames()).containsExactly("job1.b.party.iflearner.com");
    assertThat(r.uri()).isEqualTo("spiffe://iflearner.com/job/job1/party/b");
  }

  @Test
  @DisplayName("a right certificate is kept; missing, foreign, renamed, re-identified (the URI shape before job-bound identities) "
      + "or ageing ones are reissued, each with its reason")
  void reissueReasons(@TempDir Path dir) throws Exception {
    Instant now = Instant.now();
    assertThat(CertificateModel.reissueReason(SERVER, null, ca.certificate(), now)).contains("no certificate yet");

    Secret good = secretFor(SERVER, ca, dir.resolve("good"));
    assertThat(CertificateModel.reissueReason(SERVER, good, ca.certificate(), now)).isEmpty();

    Secret foreign = secretFor(SERVER, otherCa, dir.resolve("foreign"));
    assertThat(CertificateModel.reissueReason(SERVER, foreign, ca.certificate(), now)).get().asString().contains("another CA");

    IflearnerJob moved = Samples.load("iflearner/iflearnerjob-server.yaml", "fl");
    moved.getSpec().setHost("job2.server.iflearner.com");
    assertThat(CertificateModel.reissueReason(new JobModel(moved), good, ca.certificate(), now)).get().asString()
        .contains("names changed");

    // a certificate of the old identity shape, issued before identities named their job
    ca.writeTo(dir.resolve("ca"));
    RogueCertificates.issue(dir.resolve("ca"), dir.resolve("old"), "job1", "DNS:job1.server.iflearner.com",
        "URI:spiffe://iflearner.com/server/job1");
    Secret old = CertificateModel.tlsSecret(SERVER, Files.readString(dir.resolve("old/tls.crt")),
        Files.readString(dir.resolve("old/tls.key")), Files.readString(dir.resolve("old/ca.crt")));
    assertThat(CertificateModel.reissueReason(SERVER, old, ca.certificate(), now)).get().asString()
        .contains("identity changed to spiffe://iflearner.com/job/job1/server/job1");

    // 90 days of lifetime: renewed when 30 are left, not before
    assertThat(CertificateModel.reissueReason(SERVER, good, ca.certificate(), now.plus(Duration.ofDays(59)))).isEmpty();
    assertThat(CertificateModel.reissueReason(SERVER, good, ca.certificate(), now.plus(Duration.ofDays(61)))).get().asString()
        .contains("within a third");

    Secret garbage = CertificateModel.tlsSecret(SERVER, "not a certificate", "not a key", "x");
    assertThat(CertificateModel.reissueReason(SERVER, garbage, ca.certificate(), now)).get().asString().contains("does not parse");
  }

  @Test
  @DisplayName("the TLS Secret is kubernetes.io/tls with tls.crt, tls.key and ca.crt, owned by the job")
  void tlsSecret() {
    Secret s = CertificateModel.tlsSecret(SERVER, "CHAIN", "KEY", "CA");
    ChildModelsTest.assertOwnedChild(s, SERVER, "iflearnerjob-server-tls");
    assertThat(s.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(s.getData()).containsOnlyKeys("tls.crt", "tls.key", "ca.crt");
    assertThat(CertificateModel.decode(s.getData().get("tls.crt"))).isEqualTo("CHAIN");
    assertThat(CertificateModel.decode(s.getData().get("tls.key"))).isEqualTo("KEY");
    assertThat(CertificateModel.decode(s.getData().get("ca.crt"))).isEqualTo("CA");
  }

  @Test
  @DisplayName("both iflearner ConfigMaps carry the CA bundle under iflearner's file names")
  void iflearnerConfigMaps() {
    List<ConfigMap> cms = CertificateModel.iflearnerCaConfigMaps("fl", "BUNDLE");
    assertThat(cms).extracting(c -> c.getMetadata().getName()).containsExactly("server-iflearner-crt", "party-iflearner-crt");
    assertThat(cms).allSatisfy(c -> assertThat(c.getMetadata().getNamespace()).isEqualTo("fl"));
    assertThat(cms.get(0).getData()).containsExactly(entry("server-iflearner-secret.crt", "BUNDLE"));
    assertThat(cms.get(1).getData()).containsExactly(entry("party-iflearner-secret.crt", "BUNDLE"));
  }

  static Secret secretFor(JobModel job, CertificateAuthority issuer, Path dir) throws Exception {
    IssuedCertificate issued = issuer.issue(CertificateModel.leafRequest(job));
    issued.writeTo(dir);
    return CertificateModel.tlsSecret(job, Files.readString(dir.resolve("tls.crt")), Files.readString(dir.resolve("tls.key")),
        Files.readString(dir.resolve("ca.crt")));
  }
}
