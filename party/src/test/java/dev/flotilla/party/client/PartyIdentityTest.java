package dev.flotilla.party.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartyIdentityTest {
  static CertificateAuthority ca;
  @TempDir Path dir;

  @BeforeAll
  static void makeCa() {
    ca = CertificateAuthority.createRoot("identity-test-ca", Duration.ofHours(1), KeyType.EC_P256);
  }

  @Test
  @DisplayName("the identity is the name in the certificate's spiffe party URI, as the server sees it")
  void fromUri() {
    ca.issue(LeafRequest.builder(Role.PARTY, "cn-differs").uri("spiffe://flotilla.test/party/alice").build())
        .writeTo(dir);
    PartyIdentity identity = PartyIdentity.fromCertificateFile(dir.resolve("tls.crt"));
    assertThat(identity.name()).isEqualTo("alice");
    assertThat(identity.uri()).isEqualTo("spiffe://flotilla.test/party/alice");
  }

  @Test
  @DisplayName("without a party URI the identity is the subject CN")
  void fromCommonName() {
    ca.issue(LeafRequest.builder(Role.PARTY, "bob").build()).writeTo(dir);
    assertThat(PartyIdentity.fromCertificateFile(dir.resolve("tls.crt")).name()).isEqualTo("bob");
  }

  @Test
  @DisplayName("a file that holds no certificate is bad input naming --cert and the file")
  void notACertificate() throws IOException {
    Path file = Files.writeString(dir.resolve("tls.crt"), "-----BEGIN NOTHING-----\n");
    assertThatThrownBy(() -> PartyIdentity.fromCertificateFile(file))
        .isInstanceOfSatisfying(FatalPartyException.class,
            e -> assertThat(e.exitCode()).isEqualTo(FatalPartyException.BAD_INPUT))
        .hasMessageContaining("--cert")
        .hasMessageContaining(file.toString());
  }
}
