package dev.flotilla.protocol.tls;

import io.grpc.Context;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who is on the other end of a mutual-TLS call, from its verified certificate: the identity URI
 * SAN {@code spiffe://<domain>/<role>/<name>} (role {@code party} or {@code server}), falling
 * back to the certificate's CN. Never taken from a field in a message.
 */
public final class PeerIdentity {
  /** Set by {@link PeerIdentityInterceptor} for the duration of each call. */
  public static final Context.Key<PeerIdentity> CONTEXT_KEY = Context.key("flotilla-peer-identity");

  private final String name;
  private final String uri;
  private final String role;
  private final X509Certificate certificate;

  private PeerIdentity(String name, String uri, String role, X509Certificate certificate) {
    this.name = name;
    this.uri = uri;
    this.role = role;
    this.certificate = certificate;
  }

  /** The identity of the peer of the current gRPC call; throws {@link IllegalStateException} outside an intercepted call. */
  public static PeerIdentity current() {
    PeerIdentity identity = CONTEXT_KEY.get();
    if (identity == null) {
      throw new IllegalStateException("no peer identity in this gRPC context: is PeerIdentityInterceptor installed on the server?");
    }
    return identity;
  }

  /** The identity a certificate carries, or empty when it has neither a usable spiffe URI nor a CN. */
  public static Optional<PeerIdentity> of(X509Certificate certificate) {
    Objects.requireNonNull(certificate, "certificate");
    for (String candidate : uris(certificate)) {
      try {
        URI parsed = new URI(candidate);
        String[] segments = parsed.getPath() == null ? new String[0] : parsed.getPath().split("/");
        // "/party/alice" splits into "", "party", "alice"
        if ("spiffe".equals(parsed.getScheme()) && segments.length == 3 && !segments[2].isEmpty()) {
          return Optional.of(new PeerIdentity(segments[2], candidate, segments[1], certificate));
        }
      } catch (URISyntaxException ignored) {
        // not an identity URI; try the next one
      }
    }
    return commonName(certificate).map(cn -> new PeerIdentity(cn, null, "", certificate));
  }

  /** The peer's name: {@code alice} for {@code spiffe://example.org/party/alice}, else the CN. */
  public String name() {
    return name;
  }

  /** The identity URI SAN, or null when the name came from the CN. */
  public String uri() {
    return uri;
  }

  /** {@code party} or {@code server} from the identity URI; empty when the name came from the CN. */
  public String role() {
    return role;
  }

  public boolean isParty() {
    return "party".equals(role);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  @Override
  public String toString() {
    return uri != null ? uri : "CN=" + name;
  }

  private static List<String> uris(X509Certificate certificate) {
    try {
      Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
      if (sans == null) {
        return List.of();
      }
      return sans.stream().filter(s -> ((Integer) s.get(0)) == 6).map(s -> String.valueOf(s.get(1))).toList();
    } catch (CertificateParsingException e) {
      return List.of();
    }
  }

  private static Optional<String> commonName(X509Certificate certificate) {
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if ("CN".equalsIgnoreCase(rdn.getType()) && !String.valueOf(rdn.getValue()).isBlank()) {
          return Optional.of(String.valueOf(rdn.getValue()));
        }
      }
    } catch (InvalidNameException ignored) {
      // fall through: no usable CN
    }
    return Optional.empty();
  }
}
