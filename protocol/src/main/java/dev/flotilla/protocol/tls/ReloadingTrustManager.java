package dev.flotilla.protocol.tls;

import dev.flotilla.certs.Pem;
import java.net.Socket;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies peers with the JDK's PKIX trust manager (chain to a trusted CA, validity, extended key
 * usage for the TLS role, and the host name when endpoint identification is on), over the CA
 * certificates of a PEM file that is re-read when it changes (a CA bundle during CA rotation).
 */
final class ReloadingTrustManager extends X509ExtendedTrustManager {
  private static final Logger log = LoggerFactory.getLogger(ReloadingTrustManager.class);

  private record Trust(FileStamp stamp, X509ExtendedTrustManager delegate) {}

  private final Path caFile;
  private final RevocationCheck revocations;
  private volatile Trust current;

  ReloadingTrustManager(Path caFile) {
    this(caFile, null);
  }

  /** Also refuses client certificates whose serial {@code revokedSerials} lists (null: none). */
  ReloadingTrustManager(Path caFile, Path revokedSerials) {
    this.caFile = caFile;
    this.revocations = revokedSerials == null ? null : new RevocationCheck(revokedSerials);
    this.current = load(FileStamp.of(caFile), true);
  }

  private void checkRevoked(X509Certificate[] chain) throws CertificateException {
    if (revocations != null) {
      revocations.check(chain);
    }
  }

  private X509ExtendedTrustManager delegate() {
    Trust t = current;
    FileStamp stamp = FileStamp.of(caFile);
    if (!stamp.equals(t.stamp)) {
      synchronized (this) {
        if (!stamp.equals(current.stamp)) {
          Trust fresh = load(stamp, false);
          if (fresh != null) {
            current = fresh;
            log.info("reloaded trusted CA certificates from {}", caFile);
          }
        }
        t = current;
      }
    }
    return t.delegate;
  }

  private Trust load(FileStamp stamp, boolean failHard) {
    try {
      List<X509Certificate> cas = Pem.readCertificates(caFile);
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("ca-" + i, cas.get(i));
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(store);
      for (TrustManager tm : factory.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager) {
          return new Trust(stamp, (X509ExtendedTrustManager) tm);
        }
      }
      throw new IllegalStateException("the JDK offers no X509ExtendedTrustManager");
    } catch (Exception e) {
      if (failHard) {
        throw new IllegalArgumentException("cannot load trusted CA certificates from " + caFile + ": " + e.getMessage(), e);
      }
      log.warn("keeping the current trusted CAs: {} is not usable yet ({})", caFile, e.getMessage());
      return null;
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    delegate().checkClientTrusted(chain, authType, socket);
    checkRevoked(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    delegate().checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    delegate().checkClientTrusted(chain, authType, engine);
    checkRevoked(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    delegate().checkServerTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate().checkClientTrusted(chain, authType);
    checkRevoked(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate().checkServerTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return delegate().getAcceptedIssuers();
  }
}
