package dev.flotilla.controller.enroll;

import dev.flotilla.certs.CertificateAuthority;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The endpoint's trust in renewing parties' client certificates: PKIX to the federation's CA as it is
 * at this handshake, not at the endpoint's start. The CA is asked for at every handshake (the way the
 * aggregator's trust manager looks at its CA file) and a new PKIX delegate built when it changed, so
 * a rotated CA is trusted from the next handshake on, without a restart; {@link EndpointCredentials}
 * follows the same CA for the endpoint's own certificate.
 */
final class FederationCaTrust extends X509ExtendedTrustManager {
  private record Trust(CertificateAuthority ca, X509ExtendedTrustManager delegate) {}

  private final Supplier<CertificateAuthority> ca;
  private volatile Trust current;

  FederationCaTrust(Supplier<CertificateAuthority> ca) {
    this.ca = ca;
  }

  private X509ExtendedTrustManager delegate() {
    CertificateAuthority now = ca.get();
    Trust t = current;
    if (t == null || t.ca() != now) {
      t = new Trust(now, pkix(now.rootCertificate()));
      current = t;
    }
    return t.delegate();
  }

  private static X509ExtendedTrustManager pkix(X509Certificate root) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      store.setCertificateEntry("federation-ca", root);
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(store);
      for (TrustManager tm : factory.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) {
          return x;
        }
      }
      throw new IllegalStateException("the JDK offers no X509ExtendedTrustManager");
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot trust the federation's CA: " + e.getMessage(), e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate().checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    delegate().checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    delegate().checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("the enrollment endpoint trusts no servers");
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
  public X509Certificate[] getAcceptedIssuers() {
    return delegate().getAcceptedIssuers();
  }
}
