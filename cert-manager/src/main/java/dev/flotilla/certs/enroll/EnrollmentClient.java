package dev.flotilla.certs.enroll;

import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.PkiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocketFactory;

/**
 * The party's side of enrollment: it sends a CSR made from a key it keeps (the key never leaves
 * this object's caller) and gets back its certificate and the CA. First with a join token over
 * server-authenticated TLS (the endpoint's CA pinned by the token), later, to renew, over mutual TLS
 * with the current certificate. Every answer is checked before it is used: the certificate must be
 * for the CSR's key and the identity asked for, and chain to the pinned (or current) CA.
 */
public final class EnrollmentClient {
  private final URI endpoint;
  private final String domain;
  private final Duration timeout;

  /**
   * @param endpoint {@code https://host[:port]}: the enrollment host, or any address that reaches it
   *     (TLS then still asks for, and checks, {@link EnrollmentEndpoint#host})
   */
  public EnrollmentClient(URI endpoint, String domain, Duration timeout) {
    if (!"https".equals(endpoint.getScheme()) || endpoint.getHost() == null) {
      throw new IllegalArgumentException("the enrollment endpoint must be an https:// URL with a host, not " + endpoint);
    }
    this.endpoint = endpoint;
    this.domain = domain;
    this.timeout = timeout;
  }

  /** The default endpoint of a federation: {@code https://flotilla-enroll.server.<domain>} on 443, through its ingress. */
  public static URI defaultEndpoint(String domain) {
    return URI.create("https://" + EnrollmentEndpoint.host(domain));
  }

  /** First enrollment: the token proves the coordinator invited this organisation. Returns the certificate with the CSR's key. */
  public IssuedCertificate enroll(JoinToken token, Identity identity, CertificateSigningRequest csr) {
    SSLContext tls = context(null, EndpointTrust.pinned(token.pin(), domain));
    String answer = post(EnrollmentEndpoint.ENROLL_PATH, tls, "Bearer " + token.token().value(), csr);
    return accept(answer, identity, csr, ca -> token.pin().matches(ca), "the join token's pin " + token.pin());
  }

  /** Renewal: the current certificate (with its key) authenticates the request; the new key is the CSR's. */
  public IssuedCertificate renew(IssuedCertificate current, CertificateSigningRequest csr) {
    Identity identity = Identity.of(current.certificate());
    List<X509Certificate> cas = List.of(current.caCertificate());
    SSLContext tls = context(keyManagers(current), EndpointTrust.trusting(cas, domain));
    String answer = post(EnrollmentEndpoint.RENEW_PATH, tls, null, csr);
    return accept(answer, identity, csr, cas::contains, "the current ca.crt");
  }

  /**
   * The identity {@code host} of one of the organisation's party pods, asked over mutual TLS with the organisation's
   * enrolled certificate {@code organisation}; the key is the CSR's, made by the caller.
   */
  public IssuedCertificate issueHost(IssuedCertificate organisation, Identity host, CertificateSigningRequest csr) {
    List<X509Certificate> cas = List.of(organisation.caCertificate());
    SSLContext tls = context(keyManagers(organisation), EndpointTrust.trusting(cas, domain));
    String answer = post(EnrollmentEndpoint.HOST_PATH, tls, null, csr);
    return accept(answer, host, csr, cas::contains, "the organisation's ca.crt");
  }

  /**
   * The federation's members as the coordinator publishes them (JSON, at most
   * {@value EnrollmentEndpoint#MAX_FEDERATION_BYTES} bytes), asked over mutual TLS with {@code current}.
   */
  public String federation(IssuedCertificate current) {
    SSLContext tls = context(keyManagers(current), EndpointTrust.trusting(List.of(current.caCertificate()), domain));
    return request("GET", EnrollmentEndpoint.FEDERATION_PATH, tls, null, null, EnrollmentEndpoint.MAX_FEDERATION_BYTES);
  }

  private IssuedCertificate accept(String answer, Identity identity, CertificateSigningRequest csr,
      java.util.function.Predicate<X509Certificate> trustedCa, String trustedWhat) {
    List<X509Certificate> certs = Pem.parseCertificates(answer, "the enrollment endpoint's answer");
    if (certs.size() < 2) {
      throw new PkiException("the enrollment endpoint's answer holds " + certs.size() + " certificates; expected the "
          + "certificate, then the CA");
    }
    X509Certificate ca = certs.get(certs.size() - 1);
    if (!trustedCa.test(ca)) {
      throw new PkiException("the enrollment endpoint answered with a CA that is not " + trustedWhat);
    }
    X509Certificate leaf = certs.get(0);
    if (!leaf.getPublicKey().equals(csr.publicKey())) {
      throw new PkiException("the enrollment endpoint answered with a certificate for another key than the CSR's");
    }
    if (!Identity.of(leaf).equals(identity)) {
      throw new PkiException("the enrollment endpoint answered with " + Identity.of(leaf) + ", not " + identity);
    }
    try {
      certs.get(certs.size() - 2).verify(ca.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new PkiException("the certificate the enrollment endpoint answered does not chain to its CA", e);
    }
    return IssuedCertificate.fromPem(Pem.encode(certs.subList(0, certs.size() - 1)), Pem.encode(csr.privateKey()), Pem.encode(ca));
  }

  private String post(String path, SSLContext tls, String authorization, CertificateSigningRequest csr) {
    return request("POST", path, tls, authorization, csr.pem().getBytes(StandardCharsets.US_ASCII),
        EnrollmentEndpoint.MAX_RESPONSE_BYTES);
  }

  private String request(String method, String path, SSLContext tls, String authorization, byte[] body, int maxBytes) {
    URI target = endpoint.resolve(path);
    HttpsURLConnection connection;
    try {
      connection = (HttpsURLConnection) target.toURL().openConnection();
    } catch (IOException e) {
      throw new EnrollmentException(EnrollmentException.UNREACHABLE, "cannot open " + target + ": " + e.getMessage(), e);
    }
    connection.setSSLSocketFactory(new ServerNameSocketFactory(tls.getSocketFactory(), EnrollmentEndpoint.host(domain)));
    // the name is checked in the handshake by EndpointTrust, against the endpoint's host, whatever address was dialled
    connection.setHostnameVerifier((host, session) -> true);
    connection.setConnectTimeout((int) timeout.toMillis());
    connection.setReadTimeout((int) timeout.toMillis());
    connection.setInstanceFollowRedirects(false);
    connection.setUseCaches(false);
    connection.setDoOutput(body != null);
    try {
      connection.setRequestMethod(method);
      if (authorization != null) {
        connection.setRequestProperty("Authorization", authorization);
      }
      if (body != null) {
        connection.setRequestProperty("Content-Type", "application/pkcs10");
        connection.setFixedLengthStreamingMode(body.length);
        try (OutputStream out = connection.getOutputStream()) {
          out.write(body);
        }
      }
      int status = connection.getResponseCode();
      InputStream in = status == HttpURLConnection.HTTP_OK ? connection.getInputStream() : connection.getErrorStream();
      String text = in == null ? "" : readBounded(in, maxBytes);
      if (status != HttpURLConnection.HTTP_OK) {
        String reason = text.isBlank() ? "HTTP " + status : text.strip().lines().findFirst().orElse("");
        throw new EnrollmentException(status, "the enrollment endpoint refused (HTTP " + status + "): "
            + reason.substring(0, Math.min(reason.length(), 500)));
      }
      return text;
    } catch (SSLHandshakeException e) {
      throw new EnrollmentException(EnrollmentException.TLS, "TLS with " + target + " failed: " + rootMessage(e), e);
    } catch (IOException e) {
      throw new EnrollmentException(EnrollmentException.UNREACHABLE, "cannot reach " + target + ": " + rootMessage(e), e);
    } finally {
      connection.disconnect();
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  private static String readBounded(InputStream in, int maxBytes) throws IOException {
    try (in) {
      byte[] bytes = in.readNBytes(maxBytes + 1);
      if (bytes.length > maxBytes) {
        throw new EnrollmentException(EnrollmentException.UNREACHABLE, "the enrollment endpoint's answer exceeds "
            + maxBytes + " bytes");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private static SSLContext context(KeyManager[] keys, EndpointTrust trust) {
    try {
      SSLContext context = SSLContext.getInstance("TLSv1.3");
      context.init(keys, new javax.net.ssl.TrustManager[] {trust}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a TLS 1.3 context: " + e.getMessage(), e);
    }
  }

  private static KeyManager[] keyManagers(IssuedCertificate current) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] none = new char[0];
      store.setKeyEntry("current", current.privateKey(), none, current.certificateChain().toArray(X509Certificate[]::new));
      KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, none);
      return factory.getKeyManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw new PkiException("cannot use the current certificate and key for TLS: " + e.getMessage(), e);
    }
  }

  /** Asks for the endpoint's host name in SNI even when the URL names an address (as an SNI-routing ingress needs). */
  private static final class ServerNameSocketFactory extends SSLSocketFactory {
    private final SSLSocketFactory delegate;
    private final String serverName;

    ServerNameSocketFactory(SSLSocketFactory delegate, String serverName) {
      this.delegate = delegate;
      this.serverName = serverName;
    }

    @Override
    public Socket createSocket(Socket socket, String host, int port, boolean autoClose) throws IOException {
      return delegate.createSocket(socket, serverName, port, autoClose);
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      throw new IOException("connect through createSocket(Socket, ...)");
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      throw new IOException("connect through createSocket(Socket, ...)");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      throw new IOException("connect through createSocket(Socket, ...)");
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
      throw new IOException("connect through createSocket(Socket, ...)");
    }
  }
}
