package dev.flotilla.protocol.tls;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits to an aggregator's service only the parties of its own trust domain and job, and puts
 * the caller's {@link PeerIdentity} into the gRPC {@link Context} ({@link PeerIdentity#current()}).
 * It runs when a call's headers arrive, before any message is read: a refused call costs no
 * buffered body. Everything else is refused with a status naming what the peer presented:
 * UNAUTHENTICATED when there is no usable identity, PERMISSION_DENIED for an identity of another
 * trust domain, job or role.
 *
 * <p>Behind a TLS-terminating ingress (ingress-nginx with {@code auth-tls-verify-client: "on"} and
 * {@code auth-tls-pass-certificate-to-upstream: "true"}) the directly connected peer is the proxy
 * and the party's certificate arrives URL-escaped in the {@value #FORWARDED_CERT_HEADER} header.
 * Only a peer with an <em>ingress</em> identity of the trust domain, named in the trusted
 * proxies, may forward; the forwarded certificate must chain to the trusted CA file, be valid now,
 * allow clientAuth and carry a party identity of this job, which becomes the caller's. A proxy
 * never acts as itself, and nobody else may send the header.
 */
public final class PeerIdentityInterceptor implements ServerInterceptor {
  /** The metadata key ingress-nginx uses for {@code $ssl_client_escaped_cert}. */
  public static final String FORWARDED_CERT_HEADER = "ssl-client-cert";
  /** A PEM certificate chain is a few KiB; anything much longer is not one. */
  static final int MAX_FORWARDED_CERT_CHARS = 32 * 1024;

  static final Metadata.Key<String> FORWARDED_CERT =
      Metadata.Key.of(FORWARDED_CERT_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private static final Logger log = LoggerFactory.getLogger(PeerIdentityInterceptor.class);

  private final Identity server;
  /** A refused peer chooses how often it is refused: the log keeps up to a line a second of it. */
  private final LogBudget refusalLog = new LogBudget(60, java.time.Duration.ofMinutes(1));
  private final Set<String> trustedProxies;
  private final Path trustedCa;
  private final VirtualPartyRule virtualParties;

  private PeerIdentityInterceptor(Identity server, Set<String> trustedProxies, Path trustedCa) {
    this(server, trustedProxies, trustedCa, VirtualPartyRule.none());
  }

  private PeerIdentityInterceptor(Identity server, Set<String> trustedProxies, Path trustedCa,
      VirtualPartyRule virtualParties) {
    if (Objects.requireNonNull(server, "server").role() != Role.SERVER) {
      throw new IllegalArgumentException("the interceptor guards an aggregator: " + server + " is no server identity");
    }
    this.server = server;
    this.trustedProxies = Set.copyOf(trustedProxies);
    if (!this.trustedProxies.isEmpty() && trustedCa == null) {
      throw new IllegalArgumentException("trusted proxies need the trusted CA file to verify forwarded certificates");
    }
    this.trustedCa = trustedCa;
    this.virtualParties = virtualParties;
  }

  /**
   * The same interceptor that also admits virtual-party hosts whose certificate declares at most
   * {@code perHost} virtual parties, each call acting as the virtual party its header names
   * ({@link VirtualPartyRule}); 0 admits none (the default).
   */
  public PeerIdentityInterceptor withVirtualPartiesPerHost(int perHost) {
    return new PeerIdentityInterceptor(server, trustedProxies, trustedCa, VirtualPartyRule.upTo(perHost));
  }

  /** Admits the parties of {@code server}'s trust domain and job, connected directly. */
  public static PeerIdentityInterceptor partiesOf(Identity server) {
    return new PeerIdentityInterceptor(server, Set.of(), null);
  }

  /**
   * Also admits parties of the job whose certificate is forwarded by an ingress of the trust
   * domain named in {@code trustedProxies}; forwarded certificates are verified against the CA
   * certificates in {@code trustedCa} (re-read per forwarded call, so a rotated CA bundle is picked up).
   */
  public static PeerIdentityInterceptor partiesOf(Identity server, Set<String> trustedProxies, Path trustedCa) {
    return new PeerIdentityInterceptor(server, trustedProxies, trustedCa);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    Decision decision = virtualParties.apply(decide(leafOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)),
        headers.get(FORWARDED_CERT)), headers.get(VirtualPartyRule.HEADER));
    return decision.apply(call, headers, next, refusalLog, log, "job " + server.job());
  }

  /**
   * The party on the other end of a TLS connection that is no gRPC call (the bulk-upload port): the
   * same rules as for a call with no forwarded certificate, so only a party of this job, connected
   * directly, is admitted.
   *
   * @throws io.grpc.StatusException UNAUTHENTICATED or PERMISSION_DENIED, saying what the peer presented
   */
  public PeerIdentity directParty(SSLSession session) throws io.grpc.StatusException {
    // no header on this port, so a virtual-party host (who must name its virtual party) is refused here
    Decision decision = virtualParties.apply(decide(leafOf(session), null), null);
    if (decision.refusal != null) {
      throw decision.refusal.asException();
    }
    return decision.caller;
  }

  /** The caller a call acts as, or why it is refused. */
  record Decision(PeerIdentity caller, Status refusal) {
    static Decision refuse(Status code, String description) {
      return new Decision(null, code.withDescription(description));
    }

    /**
     * Goes on with the call, the caller in its context; or closes it with the refusal, logged as
     * "{@code where}: refused METHOD from ADDRESS: why" within {@code budget}. The one way the
     * interceptors of this package act on their decision.
     */
    <ReqT, RespT> ServerCall.Listener<ReqT> apply(ServerCall<ReqT, RespT> call, Metadata headers,
        ServerCallHandler<ReqT, RespT> next, LogBudget budget, Logger log, String where) {
      if (refusal == null) {
        Context context = Context.current().withValue(PeerIdentity.CONTEXT_KEY, caller);
        return Contexts.interceptCall(context, call, headers, next);
      }
      long suppressed = budget.admit();
      if (suppressed >= 0) {
        log.warn("{}: refused {} from {}: {}{}", where, call.getMethodDescriptor().getBareMethodName(),
            call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), refusal.getDescription(),
            suppressed == 0 ? "" : " (and " + suppressed + " refusals not logged in the last minute)");
      }
      call.close(refusal, new Metadata());
      return new ServerCall.Listener<>() {};
    }
  }

  /** Pure: who the call is from, given the connection's verified leaf and the forwarded-certificate header. */
  Decision decide(Optional<X509Certificate> directLeaf, String forwarded) {
    if (directLeaf.isEmpty()) {
      return Decision.refuse(Status.UNAUTHENTICATED, "no verified client certificate on this connection");
    }
    PeerIdentity direct;
    try {
      direct = PeerIdentity.of(directLeaf.get());
    } catch (PkiException e) {
      return Decision.refuse(Status.UNAUTHENTICATED, "the client certificate carries no Flotilla identity: " + e.getMessage());
    }
    boolean forwarding = forwarded != null && !forwarded.isBlank();
    if (!direct.trustDomain().equals(server.trustDomain())) {
      return Decision.refuse(Status.PERMISSION_DENIED, "peer " + direct + " is of trust domain " + direct.trustDomain()
          + "; this aggregator of job " + server.job() + " accepts only parties of " + server.trustDomain());
    }
    if (direct.role() == Role.INGRESS) {
      if (!trustedProxies.contains(direct.name())) {
        return Decision.refuse(Status.PERMISSION_DENIED, "ingress " + direct + " is not a trusted proxy of this aggregator"
            + (trustedProxies.isEmpty() ? " (it trusts none)" : " (it trusts " + trustedProxies + ")"));
      }
      if (!forwarding) {
        return Decision.refuse(Status.PERMISSION_DENIED, "ingress " + direct + " called without a forwarded party "
            + "certificate (" + FORWARDED_CERT_HEADER + " header); a proxy never acts as itself");
      }
      try {
        return admitParty(verifiedForwarded(forwarded), "forwarded by " + direct.name());
      } catch (GeneralSecurityException | IOException | IllegalArgumentException | PkiException e) {
        return Decision.refuse(Status.UNAUTHENTICATED, "forwarded client certificate from ingress '" + direct.name()
            + "' rejected: " + e.getMessage());
      }
    }
    if (forwarding) {
      return Decision.refuse(Status.UNAUTHENTICATED, "peer " + direct + " sent a forwarded client certificate ("
          + FORWARDED_CERT_HEADER + " header) but only a trusted ingress may");
    }
    return admitParty(direct, "connected directly");
  }

  private Decision admitParty(PeerIdentity caller, String how) {
    if (caller.role() != Role.PARTY) {
      return Decision.refuse(Status.PERMISSION_DENIED, "peer " + caller + " (" + how + ") is a " + caller.role().pathSegment()
          + " identity; only parties of job " + server.job() + " call this aggregator");
    }
    if (!caller.identity().sameJobAs(server)) {
      return Decision.refuse(Status.PERMISSION_DENIED, "peer " + caller + " (" + how + ") is a party of job "
          + caller.job() + " in " + caller.trustDomain() + ", not of job " + server.job() + " in " + server.trustDomain());
    }
    return new Decision(caller, null);
  }

  /** Parses the URL-escaped PEM, verifies it chains to the trusted CA, is valid now and allows clientAuth. */
  PeerIdentity verifiedForwarded(String escapedPem) throws GeneralSecurityException, IOException {
    if (escapedPem.length() > MAX_FORWARDED_CERT_CHARS) {
      throw new GeneralSecurityException("the " + FORWARDED_CERT_HEADER + " header is " + escapedPem.length()
          + " characters long, more than " + MAX_FORWARDED_CERT_CHARS);
    }
    String pem = percentDecoded(escapedPem);
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<? extends Certificate> certificates = List.copyOf(
        factory.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
    if (certificates.isEmpty()) {
      throw new GeneralSecurityException("no certificate in the " + FORWARDED_CERT_HEADER + " header");
    }
    return TrustedChains.verifiedClient(List.of((X509Certificate) certificates.get(0)), trustedCa);
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
        int high = Character.digit(escaped.charAt(i + 1), 16);
        int low = Character.digit(escaped.charAt(i + 2), 16);
        if (high < 0 || low < 0) {
          throw new IllegalArgumentException("invalid %-escape '" + escaped.substring(i, i + 3) + "' in the "
              + FORWARDED_CERT_HEADER + " header");
        }
        out.write(high * 16 + low);
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toString(StandardCharsets.US_ASCII);
  }

  static Optional<X509Certificate> leafOf(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
        return Optional.empty();
      }
      return Optional.of((X509Certificate) chain[0]);
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  /** At most {@code lines} log lines per {@code window}; counts the ones it held back. */
  static final class LogBudget {
    private final int lines;
    private final long windowNanos;
    private long windowStart = System.nanoTime();
    private int used;
    private long held;

    LogBudget(int lines, java.time.Duration window) {
      this.lines = lines;
      this.windowNanos = window.toNanos();
    }

    /** -1: do not log; otherwise log, and this many lines were held back since the last one logged. */
    synchronized long admit() {
      long now = System.nanoTime();
      if (now - windowStart > windowNanos) {
        windowStart = now;
        used = 0;
      }
      if (used >= lines) {
        held++;
        return -1;
      }
      used++;
      long previouslyHeld = held;
      held = 0;
      return previouslyHeld;
    }
  }
}
