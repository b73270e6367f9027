package dev.flotilla.party.client;

import dev.flotilla.cli.ExitCode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Identity;
import dev.flotilla.testing.RogueCertificates;
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
  @DisplayName("the identity is the certificate's spiffe party URI, naming the job whose aggregator the party accepts")
  void fromUri() {
    ca.issue(LeafRequest.builder(Identity.party("flotilla.test", "mnist", "alice")).build()).writeTo(dir);
    PartyIdentity identity = PartyIdentity.fromCertificateFile(dir.resolve("tls.crt"));
    assertThat(identity.name()).isEqualTo("alice");
    assertThat(identity.uri()).isEqualTo("spiffe://flotilla.test/job/mnist/party/alice");
    assertThat(identity.identity().serverHost()).isEqualTo("mnist.server.flotilla.test");
  }

  @Test
  @DisplayName("a server certificate is bad input: a party needs a party certificate")
  void serverCertificateRefused() {
    ca.issue(LeafRequest.builder(Identity.server("flotilla.test", "mnist", "mnist")).build()).writeTo(dir);
    assertThatThrownBy(() -> PartyIdentity.fromCertificateFile(dir.resolve("tls.crt")))
        .isInstanceOfSatisfying(FatalPartyException.class,
            e -> assertThat(e.exitCode()).isEqualTo(ExitCode.BAD_INPUT))
        .hasMessageContaining("holds the server identity spiffe://flotilla.test/job/mnist/server/mnist");
  }

  @Test
  @DisplayName("a certificate with only a CN names no party: the CN is never used")
  void commonNameOnlyRefused() {
    ca.writeTo(dir.resolve("ca"));
    RogueCertificates.issue(dir.resolve("ca"), dir.resolve("rogue"), "bob");
    assertThatThrownBy(() -> PartyIdentity.fromCertificateFile(dir.resolve("rogue/tls.crt")))
        .hasMessageContaining("names no party").hasMessageContaining("0 URI SANs");
  }

  @Test
  @DisplayName("a file that holds no certificate is bad input naming --cert and the file")
  void notACertificate() throws IOException {
    Path file = Files.writeString(dir.resolve("tls.crt"), "-----BEGIN NOTHING-----\n");
    assertThatThrownBy(() -> PartyIdentity.fromCertificateFile(file))
        .isInstanceOfSatisfying(FatalPartyException.class,
            e -> assertThat(e.exitCode()).isEqualTo(ExitCode.BAD_INPUT))
        .hasMessageContaining("--cert")
        .hasMessageContaining(file.toString());
  }
}
