package dev.flotilla.party.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.JobPki;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.testing.RogueCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartyIdentityTest {
  @TempDir Path dir;
  private JobPki pki;

  @BeforeEach
  void jobPki() {
    pki = JobPki.create(dir, "flotilla.test", "mnist");
  }

  @Test
  @DisplayName("the identity is the certificate's spiffe party URI, naming the job whose aggregator the party accepts")
  void fromUri() {
    PartyIdentity identity = PartyIdentity.fromCertificateFile(pki.party("alice").resolve("tls.crt"));
    assertThat(identity.name()).isEqualTo("alice");
    assertThat(identity.uri()).isEqualTo("spiffe://flotilla.test/job/mnist/party/alice");
    assertThat(identity.identity().serverHost()).isEqualTo("mnist.server.flotilla.test");
  }

  @Test
  @DisplayName("a server certificate is bad input: a party needs a party certificate")
  void serverCertificateRefused() {
    assertThatThrownBy(() -> PartyIdentity.fromCertificateFile(pki.server().resolve("tls.crt")))
        .isInstanceOfSatisfying(FatalPartyException.class,
            e -> assertThat(e.exitCode()).isEqualTo(ExitCode.BAD_INPUT))
        .hasMessageContaining("holds the server identity spiffe://flotilla.test/job/mnist/server/mnist");
  }

  @Test
  @DisplayName("a certificate with only a CN names no party: the CN is never used")
  void commonNameOnlyRefused() {
    RogueCertificates.issue(pki.caCertificate().getParent(), dir.resolve("rogue"), "bob");
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
