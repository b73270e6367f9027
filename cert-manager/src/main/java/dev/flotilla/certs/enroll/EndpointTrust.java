package dev.flotilla.certs.enroll;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.PkiException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * How a party trusts the enrollment endpoint: its chain must verify (PKIX) to a trusted CA, its leaf
 * must carry the endpoint's host name as a DNS name and be the endpoint's identity of the federation.
 * The trusted CA is either the one in the presented chain whose key matches the join token's pin
 * (first enrollment, when the party has no CA yet) or the party's current {@code ca.crt} (renewal).
 * The host name is checked here, not by the HTTP client, because the party may connect by address
 * (as through an SNI-routing ingress) while the name it expects is the endpoint's.
 */
final class EndpointTrust extends X509ExtendedTrustManager {
  private final CaPin pin;
  private final List<X509Certificate> trusted;
  private final String domain;

  private EndpointTrust(CaPin pin, List<X509Certificate> trusted, String domain) {
    this.pin = pin;
    this.trusted = trusted;
    this.domain = domain;
  }

  static EndpointTrust pinned(CaPin pin, String domain) {
    return new EndpointTrust(pin, List.of(), domain);
  }

  static EndpointTrust trusting(List<X509Certificate> cas, String domain) {
    return new EndpointTrust(null, List.copyOf(cas), domain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the enrollment endpoint presented no certificate");
    }
    List<X509Certificate> anchors = trusted;
    if (pin != null) {
      anchors = java.util.Arrays.stream(chain).filter(pin::matches).toList();
      if (anchors.isEmpty()) {
        throw new CertificateException("the enrollment endpoint's chain holds no CA matching the join token's pin " + pin
            + ": not the coordinator the token came from");
      }
    }
    pkix(anchors).checkServerTrusted(chain, authType);
    String host = EnrollmentEndpoint.host(domain);
    if (!dnsNames(chain[0]).contains(host)) {
      throw new CertificateException("the enrollment endpoint's certificate is not for " + host);
    }
    Identity identity;
    try {
      identity = Identity.of(chain[0]);
    } catch (PkiException e) {
      throw new CertificateException("the enrollment endpoint's certificate: " + e.getMessage(), e);
    }
    if (!identity.equals(EnrollmentEndpoint.identity(domain))) {
      throw new CertificateException("the enrollment endpoint presented " + identity + ", not "
          + EnrollmentEndpoint.identity(domain));
    }
  }

  private static X509TrustManager pkix(List<X509Certificate> anchors) throws CertificateException {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < anchors.size(); i++) {
        store.setCertificateEntry("ca-" + i, anchors.get(i));
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(store);
      for (TrustManager tm : factory.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          return x;
        }
      }
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new CertificateException("cannot build the trust store: " + e.getMessage(), e);
    }
    throw new CertificateException("the JDK offers no X509TrustManager");
  }

  private static List<String> dnsNames(X509Certificate certificate) throws CertificateParsingException {
    Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
    if (sans == null) {
      return List.of();
    }
    return sans.stream().filter(s -> Integer.valueOf(2).equals(s.get(0))).map(s -> (String) s.get(1)).toList();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("a party trusts no clients here");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return trusted.toArray(X509Certificate[]::new);
  }
}
