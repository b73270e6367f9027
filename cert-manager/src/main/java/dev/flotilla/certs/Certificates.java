package dev.flotilla.certs;

import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;

/** Reading what a certificate says: common name, SANs, extended key usages, and the request that would reissue it. */
public final class Certificates {
  static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  private Certificates() {}

  /** The subject's CN, or the empty string when it has none. */
  public static String commonName(X509Certificate certificate) {
    try {
      X500Name subject = new JcaX509CertificateHolder(certificate).getSubject();
      RDN[] cns = subject.getRDNs(BCStyle.CN);
      return cns.length == 0 ? "" : IETFUtils.valueToString(cns[0].getFirst().getValue());
    } catch (CertificateEncodingException | RuntimeException e) {
      // Bouncy Castle parses the subject lazily and throws IllegalArgumentException on a malformed RDN
      throw new PkiException("corrupt certificate subject: " + Pem.oneLine(e), e);
    }
  }

  public static List<String> dnsNames(X509Certificate certificate) {
    return subjectAltNames(certificate, 2);
  }

  public static List<String> ipAddresses(X509Certificate certificate) {
    return subjectAltNames(certificate, 7);
  }

  public static List<String> uris(X509Certificate certificate) {
    return subjectAltNames(certificate, 6);
  }

  /** Extended key usages by name: {@code serverAuth}, {@code clientAuth}, or the OID of any other. */
  public static List<String> extendedKeyUsages(X509Certificate certificate) {
    try {
      List<String> oids = certificate.getExtendedKeyUsage();
      List<String> names = new ArrayList<>();
      if (oids != null) {
        for (String oid : oids) {
          names.add(SERVER_AUTH.equals(oid) ? "serverAuth" : CLIENT_AUTH.equals(oid) ? "clientAuth" : oid);
        }
      }
      return names;
    } catch (CertificateParsingException | RuntimeException e) {
      throw new PkiException("corrupt extended key usage: " + Pem.oneLine(e), e);
    }
  }

  public static boolean isCa(X509Certificate certificate) {
    return certificate.getBasicConstraints() >= 0;
  }

  /** The request that reissues this certificate with the same identity, names, usages, lifetime and key type. */
  public static LeafRequest requestOf(X509Certificate certificate) {
    Identity identity = Identity.of(certificate);
    LeafRequest.Builder b = LeafRequest.builder(identity)
        .dnsNames(dnsNames(certificate).toArray(String[]::new))
        .keyType(KeyType.of(certificate.getPublicKey()));
    Duration total = Duration.between(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant());
    Duration lifetime = total.compareTo(CertificateAuthority.BACKDATE.multipliedBy(2)) > 0
        ? total.minus(CertificateAuthority.BACKDATE) : total;
    b.lifetime(lifetime);
    if (identity.role() == Role.PARTY && !extendedKeyUsages(certificate).contains("serverAuth")) {
      b.clientOnly();
    }
    return b.build();
  }

  private static List<String> subjectAltNames(X509Certificate certificate, int type) {
    try {
      Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
      List<String> out = new ArrayList<>();
      if (sans != null) {
        for (List<?> san : sans) {
          if (((Integer) san.get(0)) == type) {
            out.add(String.valueOf(san.get(1)));
          }
        }
      }
      return out;
    } catch (CertificateParsingException | RuntimeException e) {
      // the JDK throws RuntimeException("IPAddress cannot be parsed") for an IP SAN of a wrong length
      throw new PkiException("corrupt subject alternative names: " + Pem.oneLine(e), e);
    }
  }
}
