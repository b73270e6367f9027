package dev.flotilla.party.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The party's own identity as its certificate states it (the server sees the same one): the last
 * segment of a URI SAN {@code spiffe://<domain>/party/<name>}, else the subject CN. Used for logs
 * and to catch an unusable certificate before connecting.
 */
public record PartyIdentity(String name, String uri, X509Certificate certificate) {
  private static final int URI_SAN = 6;

  /**
   * Reads the leaf (first) certificate of a PEM file and checks that it is valid now.
   *
   * @throws FatalPartyException naming the file and the problem
   */
  public static PartyIdentity fromCertificateFile(Path file) {
    X509Certificate leaf;
    try (InputStream in = Files.newInputStream(file)) {
      Collection<? extends java.security.cert.Certificate> all =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (all.isEmpty()) {
        throw new FatalPartyException(FatalPartyException.BAD_INPUT, "--cert " + file + " holds no certificate");
      }
      leaf = (X509Certificate) all.iterator().next();
    } catch (IOException e) {
      throw new FatalPartyException(FatalPartyException.BAD_INPUT, "cannot read --cert " + file + ": " + e.getMessage(), e);
    } catch (CertificateException e) {
      throw new FatalPartyException(FatalPartyException.BAD_INPUT,
          "--cert " + file + " is not a PEM X.509 certificate: " + e.getMessage(), e);
    }
    try {
      leaf.checkValidity();
    } catch (CertificateExpiredException e) {
      throw new FatalPartyException(FatalPartyException.TLS_FAILURE, "the certificate in --cert " + file
          + " expired on " + leaf.getNotAfter().toInstant() + "; issue a new one (bin/flotilla certs issue)", e);
    } catch (CertificateNotYetValidException e) {
      throw new FatalPartyException(FatalPartyException.TLS_FAILURE, "the certificate in --cert " + file
          + " is not valid before " + leaf.getNotBefore().toInstant() + "; check this host's clock", e);
    }
    Optional<String> uri = partyUri(leaf);
    String name = uri.map(u -> u.substring(u.lastIndexOf('/') + 1)).orElseGet(() -> commonName(leaf));
    if (name == null || name.isBlank()) {
      throw new FatalPartyException(FatalPartyException.BAD_INPUT, "the certificate in --cert " + file
          + " names no party: it has neither a URI SAN spiffe://<domain>/party/<name> nor a subject CN");
    }
    return new PartyIdentity(name, uri.orElse(""), leaf);
  }

  static Optional<String> partyUri(X509Certificate certificate) {
    try {
      Collection<List<?>> names = certificate.getSubjectAlternativeNames();
      if (names == null) {
        return Optional.empty();
      }
      return names.stream()
          .filter(entry -> entry.size() >= 2 && Integer.valueOf(URI_SAN).equals(entry.get(0)))
          .map(entry -> String.valueOf(entry.get(1)))
          .filter(uri -> uri.contains("/party/"))
          .findFirst();
    } catch (CertificateParsingException e) {
      return Optional.empty();
    }
  }

  static String commonName(X509Certificate certificate) {
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (InvalidNameException e) {
      return null;
    }
    return null;
  }
}
