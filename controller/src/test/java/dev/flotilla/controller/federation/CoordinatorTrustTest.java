package dev.flotilla.controller.federation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.Pem;
import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.api.FederationSpec.Member;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("CoordinatorTrust: the members served to party clusters carry the CA that signs the enrollments in the coordinator's bundle")
class CoordinatorTrustTest {
  static final X509Certificate SIGNING = CertificateAuthority.createRoot("signing", Duration.ofDays(1), KeyType.EC_P256).certificate();
  static final X509Certificate OTHER = CertificateAuthority.createRoot("other", Duration.ofDays(1), KeyType.EC_P256).certificate();

  static FederationSpec spec(String coordinatorBundle, String partyBundle) {
    FederationSpec spec = new FederationSpec();
    spec.setDomain("fl.example.org");
    spec.setMembers(new ArrayList<>(List.of(new Member("coord", "coordinator", "198.51.100.10", coordinatorBundle),
        new Member("alice", "party", "198.51.100.21", partyBundle))));
    return spec;
  }

  static String bundle(FederationSpec spec, String member) {
    return spec.getMembers().stream().filter(m -> m.getName().equals(member)).findFirst().orElseThrow().getTrustBundle();
  }

  @Test
  @DisplayName("a coordinator member without a bundle gets the signing CA; parties and the person's object are untouched")
  void noBundleGetsTheSigningCa() {
    FederationSpec given = spec(null, null);
    FederationSpec served = CoordinatorTrust.withSigningCa(given, SIGNING);
    assertThat(Pem.parseCertificates(bundle(served, "coord"), "served")).containsExactly(SIGNING);
    assertThat(bundle(served, "alice")).isNull();
    assertThat(bundle(given, "coord")).as("the Federation read from the API server is not changed").isNull();
  }

  @Test
  @DisplayName("a bundle the person gave is kept and the signing CA added after it, once")
  void givenBundleKeptAndExtended() {
    FederationSpec served = CoordinatorTrust.withSigningCa(spec(Pem.encode(OTHER), null), SIGNING);
    assertThat(Pem.parseCertificates(bundle(served, "coord"), "served")).containsExactly(OTHER, SIGNING);
    FederationSpec again = CoordinatorTrust.withSigningCa(served, SIGNING);
    assertThat(bundle(again, "coord")).isEqualTo(bundle(served, "coord"));
    String already = Pem.encode(SIGNING);
    assertThat(bundle(CoordinatorTrust.withSigningCa(spec(already, null), SIGNING), "coord")).isEqualTo(already);
  }

  @Test
  @DisplayName("a bundle that is no PEM, or one the CA would push past the CRD's 64 KiB, is served as the person wrote it")
  void brokenOrFullBundleLeftAlone() {
    assertThat(bundle(CoordinatorTrust.withSigningCa(spec("not a certificate", null), SIGNING), "coord"))
        .isEqualTo("not a certificate");
    StringBuilder full = new StringBuilder();
    String one = Pem.encode(OTHER);
    while (full.length() + one.length() <= CoordinatorTrust.MAX_TRUST_BUNDLE) {
      full.append(one);
    }
    assertThat(bundle(CoordinatorTrust.withSigningCa(spec(full.toString(), null), SIGNING), "coord")).isEqualTo(full.toString());
  }
}
