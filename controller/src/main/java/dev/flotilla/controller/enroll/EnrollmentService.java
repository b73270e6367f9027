package dev.flotilla.controller.enroll;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
import dev.flotilla.certs.SigningPolicy;
import dev.flotilla.certs.enroll.EnrollmentEndpoint;
import dev.flotilla.certs.enroll.EnrollmentToken;
import dev.flotilla.certs.enroll.RevokedSerials;
import dev.flotilla.controller.federation.CoordinatorTrust;
import dev.flotilla.controller.model.VirtualPartiesModel;
import dev.flotilla.controller.operator.CertificateAuthorities;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's decisions, without HTTP: enroll a party organisation against a token, renew a
 * certificate its holder presents, each from a CSR only. A certificate is signed by the CA of the
 * federation's job namespace and domain (the CA its aggregators trust), for exactly the identity the
 * token names ({@code spiffe://<domain>/job/<job>/party/<organisation>}) or the presented certificate
 * carries, with the signing policy every CSR passes ({@link SigningPolicy}: party role, names in the
 * party zone). The answer is the certificate chain followed by the CA certificate, as PEM.
 */
public final class EnrollmentService {
  private static final Logger LOG = LoggerFactory.getLogger(EnrollmentService.class);

  private final Federation federation;
  private final CertificateAuthorities authorities;
  private final EnrollmentStore store;
  private final Clock clock;
  private final int certificatesPerOrganisation;

  /** The default of {@code --enroll-certificates-per-organisation}: two for each of 100 pods (a renewal overlaps) and more. */
  public static final int DEFAULT_CERTIFICATES_PER_ORGANISATION = 256;

  /** The federation one coordinator serves: its trust domain, and the job namespace whose CA signs. */
  public record Federation(String namespace, String domain) {
    /** Parses {@code NAMESPACE/DOMAIN}. */
    public static Federation parse(String text) {
      int slash = text.indexOf('/');
      if (slash <= 0 || slash == text.length() - 1) {
        throw new IllegalArgumentException("a federation is NAMESPACE/DOMAIN (the job namespace whose CA signs, and the "
            + "trust domain), got '" + text + "'");
      }
      Federation f = new Federation(text.substring(0, slash), text.substring(slash + 1));
      Identity.party(f.domain, "probe", "probe");
      return f;
    }

    @Override
    public String toString() {
      return namespace + "/" + domain;
    }
  }

  public EnrollmentService(Federation federation, CertificateAuthorities authorities, EnrollmentStore store, Clock clock) {
    this(federation, authorities, store, clock, DEFAULT_CERTIFICATES_PER_ORGANISATION);
  }

  /** @param certificatesPerOrganisation the unexpired certificates one organisation may hold, its pods' included */
  public EnrollmentService(Federation federation, CertificateAuthorities authorities, EnrollmentStore store, Clock clock,
      int certificatesPerOrganisation) {
    if (certificatesPerOrganisation < 1) {
      throw new IllegalArgumentException("an organisation holds at least one certificate, got " + certificatesPerOrganisation);
    }
    this.federation = federation;
    this.authorities = authorities;
    this.store = store;
    this.clock = clock;
    this.certificatesPerOrganisation = certificatesPerOrganisation;
  }

  public Federation federation() {
    return federation;
  }

  public CertificateAuthority ca() {
    return authorities.ensure(federation.namespace(), federation.domain()).ca();
  }

  /** First enrollment: {@code authorization} is {@code Bearer <id>.<secret>}. */
  public String enroll(String authorization, String csrPem) {
    EnrollmentToken token = bearer(authorization);
    CertificateSigningRequest csr = parse(csrPem);
    Optional<IssuedCertificate> again = enrolledBefore(token, csr);
    if (again.isPresent()) {
      return answer(again.get());
    }
    List<IssuedCertificate> signed = new ArrayList<>(1);
    TokenGrant grant = store.spend(token, clock.instant(), g -> {
      refuseAnotherFederationOrIdentity(g, csr);
      refuseAnotherOrganisationsPodHost(g.organisation());
      refuseBeyondTheBound(g.organisation());
      signed.add(signedByTheCa(csr, g.identity().job()));
    });
    IssuedCertificate issued = signed.get(0);
    // the bound is checked again as the record is written: of two concurrent requests one may lose, its certificate
    // refused unanswered (nobody holds it)
    store.recordIssued(federation.domain(), grant.organisation(), issuedRecord(issued, null,
        EnrollmentModel.identityKeyDigest(grant.identity(), csr.publicKey())), clock.instant(), certificatesPerOrganisation);
    LOG.info("{}: enrolled {} with token {} (use {} of {}), serial {}", federation, grant.identity(), token,
        grant.used() + 1, grant.uses(), RevokedSerials.hex(issued.certificate().getSerialNumber()));
    return answer(issued);
  }

  /**
   * The certificate a use of {@code token} recorded for the CSR's identity and key, signed again under its serial and
   * notAfter: its answer was lost, and the use stays spent. Needs the token unexpired and unrevoked (used up or not), of
   * this federation and the CSR's identity, and that line still listed; empty otherwise, and {@link EnrollmentStore#spend}
   * then refuses or spends as always. Another key with a used-up token is refused there, as before.
   */
  private Optional<IssuedCertificate> enrolledBefore(EnrollmentToken token, CertificateSigningRequest csr) {
    TokenGrant valid;
    try {
      valid = store.unexpiredGrant(token, clock.instant());
      refuseAnotherFederationOrIdentity(valid, csr);
    } catch (EnrollmentRefusal refused) {
      return Optional.empty();
    }
    String key = EnrollmentModel.identityKeyDigest(valid.identity(), csr.publicKey());
    return EnrollmentModel.keyIssuedBefore(store.issued(federation.domain(), valid.organisation()), null, key, clock.instant())
        .map(line -> {
          IssuedCertificate again = signedAgain(csr, valid.identity().job(), line);
          LOG.info("{}: enrolled {} again with token {} for the same key (serial {}, recorded for that key before)",
              federation, valid.identity(), token, RevokedSerials.hex(line.serial()));
          return again;
        });
  }

  /** Refuses a token of another federation, and a CSR for another identity than the token's; nothing signed. */
  private void refuseAnotherFederationOrIdentity(TokenGrant g, CertificateSigningRequest csr) {
    if (!g.domain().equals(federation.domain()) || !g.namespace().equals(federation.namespace())) {
      throw new EnrollmentRefusal(EnrollmentRefusal.UNAUTHENTICATED, "token " + g.id() + " is for the federation "
          + g.namespace() + "/" + g.domain() + ", not this endpoint's " + federation);
    }
    refuseAnotherIdentity(csr, g.identity(), "token " + g.id() + " enrolls " + g.identity());
  }

  /**
   * The federation's members as JSON (the Federation of this domain), for an enrolled, unrevoked party:
   * how the members' controllers learn the route table from the one place it is kept. The coordinator's bundle
   * always carries the CA that signs here ({@link CoordinatorTrust}).
   */
  public String federation(X509Certificate[] presented) {
    Identity identity = enrolledParty(presented, "the members list");
    var spec = store.federation(federation.domain());
    if (spec == null) {
      throw new EnrollmentRefusal(EnrollmentRefusal.NOT_FOUND, "the coordinator keeps no Federation of " + federation.domain());
    }
    LOG.debug("{}: members list for {}", federation, identity);
    return io.fabric8.kubernetes.client.utils.Serialization.asJson(CoordinatorTrust.withSigningCa(spec, ca().rootCertificate()));
  }

  /** The party identity of a verified client certificate of this federation that is not revoked; refused otherwise. */
  private Identity enrolledParty(X509Certificate[] presented, String what) {
    if (presented == null || presented.length == 0) {
      throw new EnrollmentRefusal(EnrollmentRefusal.UNAUTHENTICATED, what + " needs an enrolled certificate as the TLS client certificate");
    }
    Identity identity;
    try {
      identity = Identity.of(presented[0]);
    } catch (PkiException e) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "the client certificate carries no identity: " + e.getMessage());
    }
    if (identity.role() != Role.PARTY || !identity.trustDomain().equals(federation.domain())) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "only parties of " + federation.domain() + " get " + what
          + ", not " + identity);
    }
    if (store.revoked(federation.namespace(), federation.domain()).isRevoked(presented[0].getSerialNumber())) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "the certificate of " + identity + " (serial "
          + RevokedSerials.hex(presented[0].getSerialNumber()) + ") is revoked");
    }
    return identity;
  }

  /**
   * Renewal: {@code presented} is the client certificate chain TLS already verified against the CA. An organisation at
   * its bound may still renew a certificate on its record, once ({@link EnrollmentModel#refuseRenewal}); a renewal asked
   * again for the key of the recorded one gets that certificate again ({@link EnrollmentModel#issuedBefore}).
   */
  public String renew(X509Certificate[] presented, String csrPem) {
    if (presented == null || presented.length == 0) {
      throw new EnrollmentRefusal(EnrollmentRefusal.UNAUTHENTICATED,
          "renewal needs the current certificate as the TLS client certificate");
    }
    X509Certificate current = presented[0];
    Identity identity;
    try {
      identity = Identity.of(current);
    } catch (PkiException e) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "the client certificate carries no identity: " + e.getMessage());
    }
    if (identity.role() != Role.PARTY || !identity.trustDomain().equals(federation.domain())) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "only parties of " + federation.domain()
          + " renew here, not " + identity);
    }
    RevokedSerials revoked = store.revoked(federation.namespace(), federation.domain());
    if (revoked.isRevoked(current.getSerialNumber())) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "the certificate of " + identity + " (serial "
          + RevokedSerials.hex(current.getSerialNumber()) + ") is revoked; enroll again with a new token");
    }
    if (identity.isVirtualPartyHost()) {
      // recorded under its organisation, it is issued again by the organisation's certificate, not by its own
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, identity + " is a party pod's identity: ask "
          + EnrollmentEndpoint.HOST_PATH + " again with the organisation's enrolled certificate");
    }
    CertificateSigningRequest csr = parse(csrPem);
    refuseAnotherIdentity(csr, identity, "the current certificate is " + identity);
    String key = EnrollmentModel.keyDigest(csr.publicKey());
    List<EnrollmentModel.Issued> held = store.issued(federation.domain(), identity.name());
    Instant now = clock.instant();
    Optional<EnrollmentModel.Issued> before = EnrollmentModel.issuedBefore(held, current.getSerialNumber(), key, now);
    if (before.isPresent()) {
      return answer(renewedAgain(csr, identity, current, before.get()));
    }
    EnrollmentModel.refuseRenewal(certificatesPerOrganisation, identity.name(), held, current.getSerialNumber(), key, now);
    IssuedCertificate issued = signedByTheCa(csr, identity.job());
    // checked again under the record's resourceVersion: of two renewals of one certificate at the bound, one is recorded,
    // and the other is refused or, for the same key, answered with the recorded one's certificate (this one is dropped)
    before = store.recordRenewal(federation.domain(), identity.name(), current.getSerialNumber(), issuedRecord(issued, null, null),
        key, clock.instant(), certificatesPerOrganisation);
    if (before.isPresent()) {
      return answer(renewedAgain(csr, identity, current, before.get()));
    }
    LOG.info("{}: renewed {} (serial {} -> {})", federation, identity, RevokedSerials.hex(current.getSerialNumber()),
        RevokedSerials.hex(issued.certificate().getSerialNumber()));
    return answer(issued);
  }

  /**
   * The certificate {@code successor}, which renewed {@code current} for the CSR's key before, signed again under its
   * serial and notAfter: its first answer was lost. Nothing is recorded: the record already holds that serial.
   */
  private IssuedCertificate renewedAgain(CertificateSigningRequest csr, Identity identity, X509Certificate current,
      EnrollmentModel.Issued successor) {
    IssuedCertificate again = signedAgain(csr, identity.job(), successor);
    LOG.info("{}: renewed {} again for the same key (serial {} -> {}, recorded for that key before)", federation, identity,
        RevokedSerials.hex(current.getSerialNumber()), RevokedSerials.hex(successor.serial()));
    return again;
  }

  /**
   * A party pod's identity for an enrolled organisation: {@code presented} is its enrolled certificate (party
   * {@code <organisation>} of a job, TLS-verified against the CA), the CSR asks for virtual-party host
   * {@code <organisation>-p<i>} of the same job (the pods of a job split over N pods each need their own). Refused: a
   * certificate that is itself a pod's or revoked, another name or job, and a name another organisation enrolled under.
   * The serial is recorded under the organisation, so that revoking it revokes its pods too.
   */
  public String host(X509Certificate[] presented, String csrPem) {
    Identity organisation = enrolledParty(presented, "a party pod's identity");
    if (organisation.isVirtualPartyHost()) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "a party pod's identity is asked with the organisation's "
          + "enrolled certificate, not with " + organisation);
    }
    // the identity the CA would write from the CSR (under the signing policy), checked before anything is signed
    CertificateSigningRequest csr = parse(csrPem);
    Identity asked = requested(csr, organisation.job());
    if (!isPodHost(organisation, asked)) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "CSR refused: " + organisation + " may ask for the hosts "
          + organisation.name() + POD_SUFFIX + "<i> of job " + organisation.job() + " (with virtual parties), not " + asked);
    }
    // the host's own name and each of its virtual parties' names must be no enrolled organisation's
    String taken = store.organisations(federation.domain()).stream()
        .filter(o -> o.equals(asked.name()) || asked.coversVirtualParty(o)).sorted().findFirst().orElse(null);
    if (taken != null) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "CSR refused: " + taken + " is an organisation "
          + "enrolled in " + federation.domain() + " itself, so it cannot also be " + (taken.equals(asked.name())
          ? "a party pod of " : "a virtual party of a party pod of ") + organisation.name());
    }
    String key = EnrollmentModel.identityKeyDigest(asked, csr.publicKey());
    Optional<EnrollmentModel.Issued> before = EnrollmentModel.keyIssuedBefore(
        store.issued(federation.domain(), organisation.name()), asked.name(), key, clock.instant());
    if (before.isPresent()) {
      return answer(hostSignedAgain(csr, asked, organisation, before.get()));
    }
    refuseBeyondTheBound(organisation.name());
    IssuedCertificate issued = signedByTheCa(csr, organisation.job());
    // checked again under the record's resourceVersion: of two requests for one host and key at once, one is recorded and
    // the other answered with its certificate (this one is dropped unanswered: nobody holds it)
    before = store.recordHost(federation.domain(), organisation.name(), issuedRecord(issued, asked.name(), key),
        clock.instant(), certificatesPerOrganisation);
    if (before.isPresent()) {
      return answer(hostSignedAgain(csr, asked, organisation, before.get()));
    }
    LOG.info("{}: issued {} to {} (serial {})", federation, asked, organisation,
        RevokedSerials.hex(issued.certificate().getSerialNumber()));
    return answer(issued);
  }

  /** The pod identity {@code recorded}, issued before for the CSR's key, signed again: its first answer was lost. */
  private IssuedCertificate hostSignedAgain(CertificateSigningRequest csr, Identity asked, Identity organisation,
      EnrollmentModel.Issued recorded) {
    IssuedCertificate again = signedAgain(csr, asked.job(), recorded);
    LOG.info("{}: issued {} to {} again for the same key (serial {}, recorded for that key before)", federation, asked,
        organisation, RevokedSerials.hex(recorded.serial()));
    return again;
  }

  private static final String POD_SUFFIX = VirtualPartiesModel.POD_SUFFIX;
  private static final Pattern POD_HOST_NAME = Pattern.compile("(.+)" + POD_SUFFIX + "(0|[1-9][0-9]{0,2})");
  /** A pod host's name, or one of its virtual parties' ({@code <o>-p<i>-v<j>}). */
  private static final Pattern POD_PARTY_NAME = Pattern.compile(POD_HOST_NAME.pattern() + "(?:-v(?:0|[1-9][0-9]{0,4}))?");

  /**
   * The other direction of {@link #host}'s check: an organisation named {@code <o>-p<i>} (or {@code <o>-p<i>-v<j>})
   * would share its party name with pod i of organisation {@code o} (or with one of that pod's virtual parties), so it
   * may not enroll while {@code o} is enrolled. Checked before the token is spent.
   */
  private void refuseAnotherOrganisationsPodHost(String organisation) {
    Matcher pod = POD_PARTY_NAME.matcher(organisation);
    if (pod.matches() && !store.issuedTo(federation.domain(), pod.group(1)).isEmpty()) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "CSR refused: " + organisation + " is the name of pod "
          + pod.group(2) + " of organisation " + pod.group(1) + (organisation.equals(pod.group(1) + POD_SUFFIX + pod.group(2))
          ? "" : " or of one of its virtual parties") + ", enrolled in " + federation.domain()
          + "; enroll this organisation under another name");
    }
  }

  /** Whether {@code asked} is a party pod host of {@code organisation}: {@code <organisation>-p<i>}, same domain and job. */
  static boolean isPodHost(Identity organisation, Identity asked) {
    Matcher pod = POD_HOST_NAME.matcher(asked.name());
    return asked.role() == Role.PARTY && asked.isVirtualPartyHost()
        && asked.trustDomain().equals(organisation.trustDomain()) && asked.job().equals(organisation.job())
        && pod.matches() && pod.group(1).equals(organisation.name());
  }

  /** Refuses {@code csr} unless it asks for exactly {@code allowed} ({@code why}: what allows that); nothing signed. */
  private void refuseAnotherIdentity(CertificateSigningRequest csr, Identity allowed, String why) {
    Identity asked = requested(csr, allowed.job());
    if (!asked.equals(allowed)) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "CSR refused: it asks for " + asked + ", but " + why);
    }
  }

  /** The identity the CA would write from {@code csr} under the signing policy (party role, names in the party zone, job {@code job}); nothing signed. */
  private Identity requested(CertificateSigningRequest csr, String job) {
    try {
      return policy(job).check(csr, Role.PARTY, LeafRequest.DEFAULT_LIFETIME).identity();
    } catch (PkiException e) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "CSR refused: " + e.getMessage());
    }
  }

  /** Refuses one more certificate for {@code organisation} when it holds as many as the bound; nothing signed. */
  private void refuseBeyondTheBound(String organisation) {
    EnrollmentModel.refuseBeyond(certificatesPerOrganisation, organisation, store.issued(federation.domain(), organisation),
        clock.instant());
  }

  /** The CSR, its checks passed, signed under the serial and notAfter of {@code recorded}, already on record. */
  private IssuedCertificate signedAgain(CertificateSigningRequest csr, String job, EnrollmentModel.Issued recorded) {
    try {
      return ca().signAgain(csr, Role.PARTY, policy(job), recorded.serial(), recorded.notAfter());
    } catch (PkiException e) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "CSR refused: " + e.getMessage());
    }
  }

  /** The CSR, its checks passed, signed; not yet recorded. */
  private IssuedCertificate signedByTheCa(CertificateSigningRequest csr, String job) {
    try {
      return ca().sign(csr, Role.PARTY, policy(job), LeafRequest.DEFAULT_LIFETIME);
    } catch (PkiException e) {
      throw new EnrollmentRefusal(EnrollmentRefusal.FORBIDDEN, "CSR refused: " + e.getMessage());
    }
  }

  /**
   * The record line of {@code issued}: for a pod's identity its {@code host}, and for a pod's identity or a first
   * enrollment the digest of its identity and key ({@code identityKey}; null for a renewal, whose key its predecessor's
   * line records).
   */
  private static EnrollmentModel.Issued issuedRecord(IssuedCertificate issued, String host, String identityKey) {
    return new EnrollmentModel.Issued(issued.certificate().getSerialNumber(), issued.certificate().getNotAfter().toInstant(),
        host, identityKey);
  }

  private SigningPolicy policy(String job) {
    return SigningPolicy.forTrustDomain(federation.domain()).onlyJob(job).onlyRoles(Role.PARTY);
  }

  private static String answer(IssuedCertificate issued) {
    return Pem.encode(issued.certificateChain()) + Pem.encode(issued.caCertificate());
  }

  private static EnrollmentToken bearer(String authorization) {
    if (authorization == null || !authorization.startsWith("Bearer ")) {
      throw new EnrollmentRefusal(EnrollmentRefusal.UNAUTHENTICATED, "enrollment needs 'Authorization: Bearer <id>.<secret>'");
    }
    try {
      return EnrollmentToken.parse(authorization.substring("Bearer ".length()).strip());
    } catch (IllegalArgumentException e) {
      throw new EnrollmentRefusal(EnrollmentRefusal.UNAUTHENTICATED, e.getMessage());
    }
  }

  private static CertificateSigningRequest parse(String pem) {
    try {
      return CertificateSigningRequest.of(Pem.parseCsr(pem, "the request body"));
    } catch (PkiException e) {
      throw new EnrollmentRefusal(EnrollmentRefusal.BAD_REQUEST, e.getMessage());
    }
  }
}
