package dev.flotilla.e2e.cluster;

import dev.flotilla.certs.Pem;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS 1.3 handshake as one party dials another's peer endpoint: to an address (an organisation's
 * nginx), with the peer's host as SNI, presenting an enrolled identity (a {@code flotilla-enrolled.*}
 * Secret: tls.crt, tls.key) and trusting only that Secret's ca.crt, the federation's CA. The handshake
 * completing means the route by SNI reached an endpoint whose certificate that CA signed.
 */
final class PeerHandshake {

  private static final int TIMEOUT_MS = 30_000;

  private PeerHandshake() {}

  /** The certificate chain the endpoint presented; throws if the connection or the handshake fails. */
  static X509Certificate[] serverChain(String address, int port, String serverName, Secret identity)
      throws IOException, GeneralSecurityException {
    SSLContext context = context(identity);
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setServerNames(List.of(new SNIHostName(serverName)));
      parameters.setProtocols(new String[] {"TLSv1.3"});
      socket.setSSLParameters(parameters);
      socket.setSoTimeout(TIMEOUT_MS);
      socket.connect(new InetSocketAddress(address, port), TIMEOUT_MS);
      socket.startHandshake();
      return (X509Certificate[]) socket.getSession().getPeerCertificates();
    }
  }

  private static SSLContext context(Secret identity) throws IOException, GeneralSecurityException {
    String source = identity.getMetadata().getName();
    List<X509Certificate> chain = Pem.parseCertificates(decoded(identity, "tls.crt"), source + " tls.crt");
    char[] none = new char[0];
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("identity", Pem.parsePrivateKey(decoded(identity, "tls.key"), source + " tls.key"), none,
        chain.toArray(X509Certificate[]::new));
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, none);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    List<X509Certificate> cas = Pem.parseCertificates(decoded(identity, "ca.crt"), source + " ca.crt");
    for (int i = 0; i < cas.size(); i++) {
      trust.setCertificateEntry("ca-" + i, cas.get(i));
    }
    TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trustManagers.init(trust);
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
    return context;
  }

  private static String decoded(Secret secret, String key) {
    String value = secret.getData() == null ? null : secret.getData().get(key);
    if (value == null) {
      throw new IllegalArgumentException(secret.getMetadata().getName() + " has no " + key);
    }
    return new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
  }
}
