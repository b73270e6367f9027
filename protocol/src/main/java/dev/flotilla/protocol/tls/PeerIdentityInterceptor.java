package dev.flotilla.protocol.tls;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Puts the verified client certificate's {@link PeerIdentity} into the gRPC {@link Context} of
 * each call ({@link PeerIdentity#current()}), and closes calls without one as UNAUTHENTICATED.
 *
 * <p>Behind a TLS-terminating ingress (ingress-nginx with {@code auth-tls-verify-client: "on"} and
 * {@code auth-tls-pass-certificate-to-upstream: "true"}) the directly connected peer is the proxy;
 * the party's certificate arrives URL-escaped in the {@value #FORWARDED_CERT_HEADER} header. That
 * header is honoured ONLY when the connection's own verified identity is one of the configured
 * trusted proxies; the forwarded certificate must then chain to the trusted CA file and be valid
 * now, and its identity becomes the caller's. A header from any other peer is refused as
 * UNAUTHENTICATED. A trusted proxy calling without the header keeps its own identity (a proxy's
 * certificate is no party certificate, so it cannot join a training run by itself).
 */
public final class PeerIdentityInterceptor implements ServerInterceptor {
  /** The metadata key ingress-nginx uses for {@code $ssl_client_escaped_cert}. */
  public static final String FORWARDED_CERT_HEADER = "ssl-client-cert";

  static final Metadata.Key<String> FORWARDED_CERT =
      Metadata.Key.of(FORWARDED_CERT_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private final Set<String> trustedProxies;
  private final Path trustedCa;

  /** Identity from the connection's client certificate only; no forwarded certificates accepted. */
  public PeerIdentityInterceptor() {
    this.trustedProxies = Set.of();
    this.trustedCa = null;
  }

  /**
   * Also accepts a forwarded client certificate from peers whose verified identity name is in
   * {@code trustedProxies}; forwarded certificates are verified against the CA certificates in
   * {@code trustedCa} (re-read per forwarded call, so a rotated CA bundle is picked up).
   */
  public PeerIdentityInterceptor(Set<String> trustedProxies, Path trustedCa) {
    this.trustedProxies = Set.copyOf(trustedProxies);
    if (!this.trustedProxies.isEmpty() && trustedCa == null) {
      throw new IllegalArgumentException("trusted proxies need the trusted CA file to verify forwarded certificates");
    }
    this.trustedCa = trustedCa;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    Optional<PeerIdentity> direct = identityOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (direct.isEmpty()) {
      return refuse(call, "no verified client certificate with an identity (spiffe URI SAN or CN) on this connection");
    }
    PeerIdentity identity = direct.get();
    String forwarded = headers.get(FORWARDED_CERT);
    if (forwarded != null && !forwarded.isBlank()) {
      if (!trustedProxies.contains(identity.name())) {
        return refuse(call, "peer '" + identity.name() + "' sent a forwarded client certificate ("
            + FORWARDED_CERT_HEADER + " header) but is not a trusted proxy");
      }
      try {
        identity = verifiedForwarded(forwarded);
      } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
        return refuse(call, "forwarded client certificate from proxy '" + identity.name() + "' rejected: "
            + e.getMessage());
      }
    }
    Context context = Context.current().withValue(PeerIdentity.CONTEXT_KEY, identity);
    return Contexts.interceptCall(context, call, headers, next);
  }

  /** Parses the URL-escaped PEM, verifies it chains to the trusted CA and is valid now, and returns its identity. */
  PeerIdentity verifiedForwarded(String escapedPem) throws GeneralSecurityException, IOException {
    String pem = percentDecoded(escapedPem);
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<? extends Certificate> certificates = List.copyOf(
        factory.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
    if (certificates.isEmpty()) {
      throw new GeneralSecurityException("no certificate in the " + FORWARDED_CERT_HEADER + " header");
    }
    X509Certificate leaf = (X509Certificate) certificates.get(0);
    Set<TrustAnchor> anchors = new HashSet<>();
    for (X509Certificate ca : PemFiles.certificates(trustedCa)) {
      anchors.add(new TrustAnchor(ca, null));
    }
    PKIXParameters parameters = new PKIXParameters(anchors);
    parameters.setRevocationEnabled(false);
    try {
      CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(List.of(leaf)), parameters);
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException("'" + leaf.getSubjectX500Principal().getName()
          + "' does not chain to a trusted CA in " + trustedCa + " or is not valid now (" + e.getMessage() + ")", e);
    }
    return PeerIdentity.of(leaf).orElseThrow(() -> new GeneralSecurityException(
        "forwarded certificate has no identity (spiffe URI SAN or CN)"));
  }

  /** Undoes nginx's {@code $ssl_client_escaped_cert} escaping (%XX only; a '+' stays a '+', as base64 needs). */
  static String percentDecoded(String escaped) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(escaped.length());
    for (int i = 0; i < escaped.length(); i++) {
      char c = escaped.charAt(i);
      if (c == '%') {
        if (i + 2 >= escaped.length()) {
          throw new IllegalArgumentException("truncated %-escape in the " + FORWARDED_CERT_HEADER + " header");
        }
        out.write(Integer.parseInt(escaped.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toString(StandardCharsets.US_ASCII);
  }

  private static <ReqT, RespT> ServerCall.Listener<ReqT> refuse(ServerCall<ReqT, RespT> call, String description) {
    call.close(Status.UNAUTHENTICATED.withDescription(description), new Metadata());
    return new ServerCall.Listener<>() {};
  }

  static Optional<PeerIdentity> identityOf(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
        return Optional.empty();
      }
      return PeerIdentity.of((X509Certificate) chain[0]);
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }
}
