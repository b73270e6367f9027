package dev.flotilla.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A party's verified chains: a chain met again is taken as verified only while every certificate of it is in its
 * validity period and the CA file is unchanged; a refused chain is never kept; the number kept is bounded.
 */
class VerifiedChainsTest {
  @TempDir
  static Path dir;
  private static JobPki pki;
  private static JobPki otherCa;

  @BeforeAll
  static void issue() {
    pki = JobPki.create(dir.resolve("job"), "flotilla.test", "mnist");
    otherCa = JobPki.create(dir.resolve("other"), "flotilla.test", "mnist");
  }

  private static List<ByteString> chainOf(Path partyDir) throws Exception {
    List<ByteString> der = new ArrayList<>();
    for (X509Certificate certificate : Pem.readCertificates(TlsFiles.inDirectory(partyDir).certificateChain())) {
      der.add(ByteString.copyFrom(certificate.getEncoded()));
    }
    return der;
  }

  @Test
  @DisplayName("a chain verified once is kept: met again, it gives the same identity and the same converted key")
  void aVerifiedChainIsKept() throws Exception {
    VerifiedChains chains = new VerifiedChains();
    chains.useCa(pki.caCertificate());
    VerifiedChains.Verified first = chains.client(chainOf(pki.party("bob")));
    VerifiedChains.Verified again = chains.client(chainOf(pki.party("bob")));
    assertThat(first.identity().identity()).isEqualTo(pki.partyIdentity("bob"));
    assertThat(again.leafKey()).isSameAs(first.leafKey());
    assertThat(first.signatureAlgorithm()).isEqualTo("SHA256withECDSA");
    assertThat(chains.size()).isEqualTo(1);
  }

  @Test
  @DisplayName("a chain of another CA is refused and not kept; once the CA file holds that CA instead, the kept "
      + "chains of the old one are refused too")
  void aChangedCaFileDropsWhatWasKept() throws Exception {
    Path caFile = dir.resolve("ca-bundle.pem");
    Files.copy(pki.caCertificate(), caFile);
    VerifiedChains chains = new VerifiedChains();
    chains.useCa(caFile);
    chains.client(chainOf(pki.party("alice")));
    assertThatThrownBy(() -> chains.client(chainOf(otherCa.party("alice"))))
        .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("does not chain to a trusted CA in " + caFile);
    assertThat(chains.size()).isEqualTo(1);

    Files.copy(otherCa.caCertificate(), caFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    chains.useCa(caFile);
    assertThat(chains.size()).isZero();
    assertThatThrownBy(() -> chains.client(chainOf(pki.party("alice"))))
        .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("does not chain to a trusted CA");
    assertThat(chains.client(chainOf(otherCa.party("alice"))).identity().identity())
        .isEqualTo(otherCa.partyIdentity("alice"));
  }

  @Test
  @DisplayName("a kept chain past its certificate's notAfter is verified again, and refused as not valid now")
  void anExpiredKeptChainIsRefused() throws Exception {
    MovableClock clock = new MovableClock(Instant.now());
    VerifiedChains chains = new VerifiedChains(16, clock);
    chains.useCa(pki.caCertificate());
    chains.client(chainOf(pki.party("carol")));
    clock.now = clock.now.plus(JobPki.LIFETIME).plus(Duration.ofHours(1));
    assertThatThrownBy(() -> chains.client(chainOf(pki.party("carol"))))
        .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("or is not valid now");
    assertThat(chains.size()).isZero();
  }

  @Test
  @DisplayName("at most its capacity of chains is kept, the least recently used out")
  void boundedLeastRecentlyUsed() throws Exception {
    VerifiedChains chains = new VerifiedChains(2, Clock.systemUTC());
    chains.useCa(pki.caCertificate());
    List<ByteString> alice = chainOf(pki.party("alice"));
    VerifiedChains.Verified alices = chains.client(alice);
    VerifiedChains.Verified bobs = chains.client(chainOf(pki.party("bob")));
    chains.client(alice); // alice's used last: bob's goes when carol's comes
    chains.client(chainOf(pki.party("carol")));
    assertThat(chains.size()).isEqualTo(2);
    assertThat(chains.client(alice).leafKey()).as("kept").isSameAs(alices.leafKey());
    assertThat(chains.client(chainOf(pki.party("bob"))).leafKey()).as("verified again").isNotSameAs(bobs.leafKey());
  }

  /** A clock the test moves. */
  private static final class MovableClock extends Clock {
    Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
