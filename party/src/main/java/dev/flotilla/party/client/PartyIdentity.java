package dev.flotilla.party.client;

import dev.flotilla.cli.ExitCode;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
import java.nio.file.Path;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;

/**
 * The party's own identity as its certificate states it (the server sees the same one):
 * {@code spiffe://<domain>/job/<job>/party/<name>}. It names the job whose aggregator the party
 * accepts, and is checked before connecting so an unusable certificate fails at once.
 */
public record PartyIdentity(Identity identity, X509Certificate certificate) {

  public String name() {
    return identity.name();
  }

  public String uri() {
    return identity.uri();
  }

  /**
   * A party with no certificate: a virtual party of {@code bin/flotilla simulate}, which reaches its
   * aggregator over in-process gRPC only (the simulator's server names the caller the same way).
   */
  public static PartyIdentity inProcess(Identity identity) {
    if (identity.role() != Role.PARTY) {
      throw new IllegalArgumentException(identity + " is not a party identity");
    }
    return new PartyIdentity(identity, null);
  }

  /**
   * Reads the leaf (first) certificate of a PEM file and checks that it is valid now and a party's.
   *
   * @throws FatalPartyException naming the file and the problem
   */
  public static PartyIdentity fromCertificateFile(Path file) {
    X509Certificate leaf;
    try {
      leaf = Pem.readCertificate(file);
    } catch (PkiException e) {
      throw new FatalPartyException(ExitCode.BAD_INPUT, "--cert " + file + ": " + e.getMessage(), e);
    }
    try {
      leaf.checkValidity();
    } catch (CertificateExpiredException e) {
      throw new FatalPartyException(ExitCode.TLS, "the certificate in --cert " + file
          + " expired on " + leaf.getNotAfter().toInstant() + "; issue a new one (bin/flotilla certs issue)", e);
    } catch (CertificateNotYetValidException e) {
      throw new FatalPartyException(ExitCode.TLS, "the certificate in --cert " + file
          + " is not valid before " + leaf.getNotBefore().toInstant() + "; check this host's clock", e);
    }
    Identity identity;
    try {
      identity = Identity.of(leaf);
    } catch (PkiException e) {
      throw new FatalPartyException(ExitCode.BAD_INPUT, "the certificate in --cert " + file
          + " names no party: " + e.getMessage(), e);
    }
    if (identity.role() != Role.PARTY) {
      throw new FatalPartyException(ExitCode.BAD_INPUT, "the certificate in --cert " + file + " holds the "
          + identity.role().pathSegment() + " identity " + identity + "; a party needs a party certificate "
          + "(spiffe://<domain>/job/<job>/party/<name>)");
    }
    return new PartyIdentity(identity, leaf);
  }

  /**
   * Virtual party {@code index} of this virtual-party host: {@code <name>-v<index>} of the host's job, presenting the
   * host's certificate (the aggregator admits the name only when that certificate covers it).
   *
   * @throws IllegalArgumentException when this certificate hosts no virtual parties or not that many
   */
  public PartyIdentity virtualParty(int index) {
    String name = Identity.virtualPartyName(identity.name(), index);
    if (!identity.coversVirtualParty(name)) {
      throw new IllegalArgumentException("the certificate of " + identity + " does not cover virtual party " + name);
    }
    return new PartyIdentity(Identity.party(identity.trustDomain(), identity.job(), name), certificate);
  }
}
