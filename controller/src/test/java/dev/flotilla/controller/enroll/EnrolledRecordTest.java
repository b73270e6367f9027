package dev.flotilla.controller.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import dev.flotilla.controller.enroll.EnrollmentModel.Issued;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("the coordinator's record of issued certificates (flotilla-enrolled.<domain>) stays bounded")
class EnrolledRecordTest {
  static final Instant NOW = Instant.parse("2026-12-06T02:00:00Z");

  static ConfigMap record(Map<String, String> data) {
    ConfigMap enrolled = EnrollmentModel.enrolled("flotilla-system", "fl.example.org");
    enrolled.setData(new LinkedHashMap<>(data));
    return enrolled;
  }

  static Issued issued(long serial, Duration fromNow, String host) {
    return new Issued(BigInteger.valueOf(serial), NOW.plus(fromNow), host);
  }

  /** Organisation b at a bound of 2: its own certificate 1 (the first to expire) and pod b-p0's 2. */
  static ConfigMap atTheBound() {
    return record(Map.of("b", "1 " + NOW.plus(Duration.ofDays(30)) + "\n2 " + NOW.plus(Duration.ofDays(90)) + " b-p0\n"));
  }

  /** A stand-in for the digest of the key certified by the certificate of serial {@code serial} (64 hex digits). */
  static String key(long serial) {
    return String.format("%064x", serial);
  }

  /** {@link #atTheBound} after certificate 1 renewed to 3: one line beyond the bound. */
  static ConfigMap renewedAtTheBound() {
    ConfigMap enrolled = atTheBound();
    EnrollmentModel.withRenewal(enrolled, "b", BigInteger.ONE, issued(3, Duration.ofDays(90), null), key(3), NOW, 2);
    return enrolled;
  }

  /** The refusal of b's certificate {@code renewed} renewing to {@code serial} (its key) under a bound of {@code bound}. */
  static EnrollmentRefusal refusedRenewal(ConfigMap enrolled, long renewed, long serial, int bound) {
    return catchThrowableOfType(() -> EnrollmentModel.withRenewal(enrolled, "b", BigInteger.valueOf(renewed),
        issued(serial, Duration.ofDays(90), null), key(serial), NOW, bound), EnrollmentRefusal.class);
  }

  @Test
  @DisplayName("a write drops every organisation's expired certificates (an organisation left with none is no longer listed), "
      + "reads the records of earlier versions (no host) and writes a pod's host beside its serial")
  void expiredRecordsArePruned() {
    ConfigMap enrolled = record(Map.of(
        "a", "a1 " + NOW.minusSeconds(1) + "\na2 " + NOW.plus(Duration.ofDays(3)) + "\n",
        "gone", "b1 " + NOW.minus(Duration.ofDays(1)) + " gone-p0\n"));

    EnrollmentModel.withIssued(enrolled, "c", issued(0xc1, Duration.ofDays(90), "c-p0"), NOW, 4);

    assertThat(enrolled.getData()).containsOnlyKeys("a", "c");
    assertThat(EnrollmentModel.issued(enrolled, "a")).containsExactly(new Issued(new BigInteger("a2", 16),
        NOW.plus(Duration.ofDays(3)), null));
    assertThat(enrolled.getData().get("c")).isEqualTo("c1 " + NOW.plus(Duration.ofDays(90)) + " c-p0\n");
    assertThat(EnrollmentModel.issuedTo(enrolled, "c")).containsExactly(BigInteger.valueOf(0xc1));
  }

  @Test
  @DisplayName("an organisation holding as many unexpired certificates as the bound is refused with 429, saying the bound, "
      + "its flag and when room frees; nothing is added; its expired ones do not count")
  void organisationsAreBounded() {
    ConfigMap enrolled = record(Map.of());
    EnrollmentModel.withIssued(enrolled, "b", issued(1, Duration.ofDays(30), null), NOW, 3);
    EnrollmentModel.withIssued(enrolled, "b", issued(2, Duration.ofDays(90), "b-p0"), NOW, 3);
    EnrollmentModel.withIssued(enrolled, "b", issued(3, Duration.ofDays(90), "b-p1"), NOW, 3);
    EnrollmentModel.withIssued(enrolled, "a", issued(4, Duration.ofDays(90), null), NOW, 3);

    EnrollmentRefusal refused = catchThrowableOfType(
        () -> EnrollmentModel.withIssued(enrolled, "b", issued(5, Duration.ofDays(90), "b-p0"), NOW, 3), EnrollmentRefusal.class);

    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused).hasMessage("organisation b holds 3 unexpired certificates (its own and its party pods'), the most "
        + "the coordinator issues to one organisation (--enroll-certificates-per-organisation 3); the next frees at "
        + NOW.plus(Duration.ofDays(30)) + " when the earliest expires");
    assertThat(EnrollmentModel.issuedTo(enrolled, "b")).containsExactly(BigInteger.ONE, BigInteger.TWO, BigInteger.valueOf(3));

    // once its own certificate expired, b has room again; a, at one, never noticed
    EnrollmentModel.withIssued(enrolled, "b", issued(5, Duration.ofDays(120), "b-p0"), NOW.plus(Duration.ofDays(31)), 3);
    assertThat(EnrollmentModel.issuedTo(enrolled, "b")).containsExactly(BigInteger.TWO, BigInteger.valueOf(3), BigInteger.valueOf(5));
    EnrollmentModel.withIssued(enrolled, "a", issued(6, Duration.ofDays(120), "a-p0"), NOW.plus(Duration.ofDays(31)), 3);
  }

  @Test
  @DisplayName("a record about to outgrow " + EnrollmentModel.MAX_ENROLLED_BYTES + " bytes (many organisations, each within "
      + "its bound) is refused with 429 naming the ConfigMap, before the API server's 1 MiB would refuse every write")
  void theRecordIsBoundedInAll() {
    Map<String, String> data = new LinkedHashMap<>();
    String line = "f".repeat(40) + " " + NOW.plus(Duration.ofDays(90)) + " some-organisation-with-a-long-name-p99\n";
    int organisations = EnrollmentModel.MAX_ENROLLED_BYTES / (line.length() * 100) + 1;
    for (int o = 0; o < organisations; o++) {
      data.put("org" + o, line.repeat(100));
    }
    ConfigMap enrolled = record(data);

    EnrollmentRefusal refused = catchThrowableOfType(
        () -> EnrollmentModel.withIssued(enrolled, "new", issued(1, Duration.ofDays(90), null), NOW, 256), EnrollmentRefusal.class);

    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.getMessage()).startsWith("the coordinator's record of issued certificates (flotilla-enrolled.fl.example.org) "
        + "holds ").contains("the most it keeps (" + EnrollmentModel.MAX_ENROLLED_BYTES + ")");
    assertThat(enrolled.getData()).doesNotContainKey("new");
  }

  @Test
  @DisplayName("at its bound an organisation still renews a certificate on its record: the new one is added (one line beyond "
      + "the bound) and the renewed line says renewed-to:<new serial>; lines of earlier versions read as not renewed")
  void aRenewalAtTheBoundIsRecorded() {
    ConfigMap enrolled = record(Map.of("b", "1 " + NOW.plus(Duration.ofDays(30)) + "\n2 " + NOW.plus(Duration.ofDays(90))
        + " b-p0\n3 " + NOW.plus(Duration.ofDays(90)) + " b-p1\n"));

    EnrollmentModel.withRenewal(enrolled, "b", BigInteger.ONE, issued(4, Duration.ofDays(90), null), key(4), NOW, 3);

    assertThat(enrolled.getData().get("b")).isEqualTo("1 " + NOW.plus(Duration.ofDays(30)) + " renewed-to:4 renewed-key:"
        + key(4) + "\n2 " + NOW.plus(Duration.ofDays(90)) + " b-p0\n3 " + NOW.plus(Duration.ofDays(90)) + " b-p1\n4 "
        + NOW.plus(Duration.ofDays(90)) + "\n");
    assertThat(EnrollmentModel.issued(enrolled, "b")).first()
        .isEqualTo(new Issued(BigInteger.ONE, NOW.plus(Duration.ofDays(30)), null, BigInteger.valueOf(4), key(4), null));
    assertThat(EnrollmentModel.issuedTo(enrolled, "b")).as("revocation still reaches the renewed certificate")
        .containsExactly(BigInteger.ONE, BigInteger.TWO, BigInteger.valueOf(3), BigInteger.valueOf(4));
  }

  @Test
  @DisplayName("at the bound a certificate is renewed once: its second renewal for another key is refused with 409 naming "
      + "its renewal and why, and nothing is added; a line of an earlier version (no renewed-key) refuses every key")
  void aSecondRenewalAtTheBoundIsRefused() {
    ConfigMap enrolled = renewedAtTheBound();
    String before = enrolled.getData().get("b");

    EnrollmentRefusal refused = refusedRenewal(enrolled, 1, 4, 2);

    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused).hasMessage("the certificate of serial 1 was renewed already, to serial 3 for another key: renew with "
        + "that certificate. organisation b holds 3 unexpired certificates (its own and its party pods'), the most the "
        + "coordinator issues to one organisation (--enroll-certificates-per-organisation 2), beyond which each certificate is "
        + "renewed once; the next frees at " + NOW.plus(Duration.ofDays(90)) + " when the earliest 2 have expired");
    assertThat(enrolled.getData().get("b")).isEqualTo(before);
    assertThat(EnrollmentModel.issuedBefore(EnrollmentModel.issued(enrolled, "b"), BigInteger.ONE, key(4), NOW)).isEmpty();

    ConfigMap earlier = record(Map.of("b", before.replace(" renewed-key:" + key(3), "")));
    assertThat(EnrollmentModel.issuedBefore(EnrollmentModel.issued(earlier, "b"), BigInteger.ONE, key(3), NOW)).isEmpty();
    assertThat(refusedRenewal(earlier, 1, 3, 2)).hasMessageStartingWith("the certificate of serial 1 was renewed already, "
        + "to serial 3: renew with that certificate. organisation b holds 3");
  }

  @Test
  @DisplayName("a renewal asked again for the key of the recorded one (its answer was lost) finds that certificate's line, "
      + "at the bound and below it, while both lines are on record; the record is not written")
  void aRenewalAskedAgainFindsItsCertificate() {
    ConfigMap enrolled = renewedAtTheBound();
    String before = enrolled.getData().get("b");
    List<Issued> held = EnrollmentModel.issued(enrolled, "b");

    assertThat(EnrollmentModel.issuedBefore(held, BigInteger.ONE, key(3), NOW))
        .contains(new Issued(BigInteger.valueOf(3), NOW.plus(Duration.ofDays(90)), null));
    assertThat(EnrollmentModel.issuedBefore(held, BigInteger.TWO, key(3), NOW)).as("another certificate's renewal").isEmpty();
    assertThat(EnrollmentModel.issuedBefore(held, BigInteger.ONE, key(3), NOW.plus(Duration.ofDays(30))))
        .as("the renewed certificate expired: nothing to answer for it").isEmpty();
    assertThat(enrolled.getData().get("b")).isEqualTo(before);

    ConfigMap below = atTheBound();
    EnrollmentModel.withRenewal(below, "b", BigInteger.ONE, issued(3, Duration.ofDays(90), null), key(3), NOW, 4);
    assertThat(EnrollmentModel.issuedBefore(EnrollmentModel.issued(below, "b"), BigInteger.ONE, key(3), NOW))
        .map(Issued::serial).contains(BigInteger.valueOf(3));
  }

  @Test
  @DisplayName("a loop of renewals at the bound adds one line at most: a renewal cannot renew (429) while the certificate it "
      + "renewed is on record, and may once that expired")
  void aLoopOfRenewalsStaysBounded() {
    ConfigMap enrolled = renewedAtTheBound();

    EnrollmentRefusal refused = refusedRenewal(enrolled, 3, 4, 2);

    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused).hasMessage("the certificate of serial 3 is the renewal of serial 1, which stays on record until "
        + NOW.plus(Duration.ofDays(30)) + ": renew after then. organisation b holds 3 unexpired certificates (its own and its "
        + "party pods'), the most the coordinator issues to one organisation (--enroll-certificates-per-organisation 2), "
        + "beyond which one renewal of a certificate is on record at a time");
    assertThat(EnrollmentModel.issuedTo(enrolled, "b")).containsExactly(BigInteger.ONE, BigInteger.TWO, BigInteger.valueOf(3));
    // neither does a pod's identity fit in beside the renewal
    assertThat(catchThrowableOfType(() -> EnrollmentModel.withIssued(enrolled, "b", issued(5, Duration.ofDays(90), "b-p1"), NOW, 2),
        EnrollmentRefusal.class).status()).isEqualTo(429);

    // the renewed certificate expired: its renewal renews, again one line beyond the bound
    Instant later = NOW.plus(Duration.ofDays(31));
    EnrollmentModel.withRenewal(enrolled, "b", BigInteger.valueOf(3), issued(6, Duration.ofDays(120), null), key(6), later, 2);
    assertThat(EnrollmentModel.issued(enrolled, "b")).extracting(Issued::serial, Issued::renewedTo).containsExactly(
        tuple(BigInteger.TWO, null),
        tuple(BigInteger.valueOf(3), BigInteger.valueOf(6)),
        tuple(BigInteger.valueOf(6), null));
  }

  @Test
  @DisplayName("at the bound a certificate that is not on the record is refused its renewal with 429; below the bound a "
      + "certificate is renewed again for a new key, counted like any other")
  void renewalsOffTheRecordAndBelowTheBound() {
    ConfigMap enrolled = atTheBound();

    EnrollmentRefusal refused = refusedRenewal(enrolled, 10, 3, 2);
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.getMessage()).startsWith("organisation b holds 2 unexpired certificates").contains(
        "(--enroll-certificates-per-organisation 2), and the certificate presented for renewal (serial a) is not on its record");

    EnrollmentModel.withRenewal(enrolled, "b", BigInteger.ONE, issued(3, Duration.ofDays(90), null), key(3), NOW, 4);
    EnrollmentModel.withRenewal(enrolled, "b", BigInteger.ONE, issued(4, Duration.ofDays(90), null), key(4), NOW, 4);
    assertThat(EnrollmentModel.issued(enrolled, "b")).extracting(Issued::serial, Issued::renewedTo).containsExactly(
        tuple(BigInteger.ONE, BigInteger.valueOf(4)),
        tuple(BigInteger.TWO, null),
        tuple(BigInteger.valueOf(3), null),
        tuple(BigInteger.valueOf(4), null));
    assertThat(refusedRenewal(enrolled, 1, 5, 4).status()).as("at the bound again").isEqualTo(409);
  }

  @Test
  @DisplayName("a pod's identity is recorded with the digest of its identity and key (key:<hex>), read back, and kept when "
      + "its organisation's line is renewed; a line without it (earlier versions) still parses")
  void aPodsLineCarriesItsKeyDigest() throws Exception {
    java.security.PublicKey pub = java.security.KeyPairGenerator.getInstance("EC").generateKeyPair().getPublic();
    dev.flotilla.certs.Identity p0 = dev.flotilla.certs.Identity.party("fl.example.org", "train", "b-p0");
    dev.flotilla.certs.Identity otherJob = dev.flotilla.certs.Identity.party("fl.example.org", "eval", "b-p0");
    String digest = EnrollmentModel.identityKeyDigest(p0, pub);
    assertThat(digest).matches("[0-9a-f]{64}").isNotEqualTo(EnrollmentModel.identityKeyDigest(otherJob, pub))
        .isNotEqualTo(EnrollmentModel.keyDigest(pub));
    ConfigMap enrolled = record(Map.of("b", "1 " + NOW.plus(Duration.ofDays(30)) + "\n"));

    EnrollmentModel.withIssued(enrolled, "b", new Issued(BigInteger.TWO, NOW.plus(Duration.ofDays(90)), "b-p0", digest), NOW, 4);

    assertThat(enrolled.getData().get("b")).isEqualTo("1 " + NOW.plus(Duration.ofDays(30)) + "\n2 "
        + NOW.plus(Duration.ofDays(90)) + " b-p0 key:" + digest + "\n");
    assertThat(EnrollmentModel.issued(enrolled, "b")).extracting(Issued::host, Issued::identityKey)
        .containsExactly(tuple(null, null), tuple("b-p0", digest));
    EnrollmentModel.withRenewal(enrolled, "b", BigInteger.ONE, issued(3, Duration.ofDays(90), null), key(3), NOW, 4);
    assertThat(EnrollmentModel.issued(enrolled, "b")).extracting(Issued::serial, Issued::identityKey)
        .containsExactly(tuple(BigInteger.ONE, null), tuple(BigInteger.TWO, digest), tuple(BigInteger.valueOf(3), null));
  }

  @Test
  @DisplayName("a pod's identity asked again for the same host and key is the line on record while it is unexpired, at the "
      + "bound too; another key, another host or an expired line is none (another key is a new certificate, counted)")
  void aPodsIdentityIssuedBefore() {
    List<Issued> held = List.of(issued(1, Duration.ofDays(30), null),
        new Issued(BigInteger.TWO, NOW.plus(Duration.ofDays(90)), "b-p0", key(2)),
        new Issued(BigInteger.valueOf(4), NOW.minusSeconds(1), "b-p1", key(4)),
        issued(5, Duration.ofDays(90), "b-p2"));

    assertThat(EnrollmentModel.keyIssuedBefore(held, "b-p0", key(2), NOW)).contains(held.get(1));
    assertThat(EnrollmentModel.keyIssuedBefore(held, "b-p0", key(3), NOW)).isEmpty();
    assertThat(EnrollmentModel.keyIssuedBefore(held, "b-p2", key(2), NOW)).isEmpty();
    assertThat(EnrollmentModel.keyIssuedBefore(held, "b-p1", key(4), NOW)).isEmpty();
    assertThat(EnrollmentModel.keyIssuedBefore(held, "b-p2", key(5), NOW)).isEmpty();
    ConfigMap full = record(Map.of("b", "1 " + NOW.plus(Duration.ofDays(30)) + "\n2 " + NOW.plus(Duration.ofDays(90))
        + " b-p0 key:" + key(2) + "\n"));
    EnrollmentRefusal refused = catchThrowableOfType(() -> EnrollmentModel.withIssued(full, "b",
        new Issued(BigInteger.valueOf(6), NOW.plus(Duration.ofDays(90)), "b-p0", key(6)), NOW, 2), EnrollmentRefusal.class);
    assertThat(refused.status()).isEqualTo(EnrollmentRefusal.TOO_MANY);
  }
}
