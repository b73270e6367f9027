package dev.flotilla.server;

import io.grpc.Context;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.MetadataUtils;
import java.util.Optional;

/**
 * For in-process tests only: the caller's identity comes from a request header instead of a client
 * certificate. Production uses the protocol module's PeerIdentityInterceptor.
 */
public final class TestIdentity implements CallerIdentity {

  static final Metadata.Key<String> HEADER = Metadata.Key.of("x-test-party", Metadata.ASCII_STRING_MARSHALLER);
  static final Context.Key<String> KEY = Context.key("test-party");
  /** The DER of the certificate the caller's connection "presented" (as a TLS handshake would put it in context). */
  static final Metadata.Key<byte[]> CERTIFICATE_HEADER = Metadata.Key.of("x-test-party-certificate-bin",
      Metadata.BINARY_BYTE_MARSHALLER);
  static final Context.Key<X509Certificate> CERTIFICATE = Context.key("test-party-certificate");

  @Override
  public Optional<String> current() {
    return Optional.ofNullable(KEY.get());
  }

  @Override
  public Optional<X509Certificate> certificate() {
    return Optional.ofNullable(CERTIFICATE.get());
  }

  public static ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String name = headers.get(HEADER);
        byte[] der = headers.get(CERTIFICATE_HEADER);
        X509Certificate certificate;
        try {
          certificate = der == null ? null : (X509Certificate) CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
          throw new IllegalArgumentException("test certificate header", e);
        }
        return Contexts.interceptCall(Context.current().withValue(KEY, name).withValue(CERTIFICATE, certificate), call,
            headers, next);
      }
    };
  }

  /** A client interceptor presenting the given party name and connection certificate. */
  public static io.grpc.ClientInterceptor as(String party, X509Certificate certificate) {
    Metadata md = new Metadata();
    md.put(HEADER, party);
    try {
      md.put(CERTIFICATE_HEADER, certificate.getEncoded());
    } catch (CertificateException e) {
      throw new IllegalArgumentException(e);
    }
    return MetadataUtils.newAttachHeadersInterceptor(md);
  }

  /** A client interceptor presenting the given party name. */
  public static io.grpc.ClientInterceptor as(String party) {
    Metadata md = new Metadata();
    md.put(HEADER, party);
    return MetadataUtils.newAttachHeadersInterceptor(md);
  }
}
