package dev.flotilla.controller.enroll;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.enroll.EnrollmentEndpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's enrollment endpoint, HTTPS (TLS 1.3) on the controller: {@code POST /v1/enroll}
 * with a token, {@code POST /v1/renew} with the current certificate as TLS client certificate, {@code POST /v1/host}
 * with an organisation's certificate for one of its party pods' identities; the body
 * is a PEM CSR of at most {@value EnrollmentEndpoint#MAX_CSR_BYTES} bytes, the answer the certificate
 * chain then the CA, or a status with a one-line reason. Enrollment attempts are bounded per client address
 * ({@link AttemptLimiter}), renewals and pods' identities by the same bound per party identity; {@code GET /v1/federation}, which every enrolled party repeats at its
 * {@code --federation-refresh}, per party identity ({@value #MEMBERS_PER_MINUTE} a minute); requests run on a small bounded pool (a full queue is refused, not queued).
 * The client certificate is asked for, not required: enrollment has none yet. It is verified against
 * the federation's CA of the moment when presented: a rotated CA needs no restart ({@link FederationCaTrust}).
 */
public final class EnrollmentServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EnrollmentServer.class);

  private final HttpsServer server;
  private final ExecutorService executor;
  private final EnrollmentService service;
  /**
   * Members lists per party identity and minute: twice a 1 s refresh. Not per client address: behind an SNI-passthrough
   * ingress every party arrives from the ingress's address, and their periodic reads then shared the enrollment
   * attempts' bound (30 a minute by default): three parties refreshing every second were refused for most of each
   * minute, and a changed address reached them only when the minute turned (the 22.1 s of session 11).
   */
  static final int MEMBERS_PER_MINUTE = 120;

  private final AttemptLimiter limiter;
  private final AttemptLimiter membersLimiter;

  public EnrollmentServer(InetSocketAddress address, EnrollmentService service, AttemptLimiter limiter, Clock clock)
      throws IOException {
    this.service = service;
    this.limiter = limiter;
    this.membersLimiter = new AttemptLimiter(MEMBERS_PER_MINUTE, Duration.ofMinutes(1), clock);
    SSLContext tls = tls(service, clock);
    server = HttpsServer.create(address, 16);
    server.setHttpsConfigurator(new HttpsConfigurator(tls) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters p = tls.getDefaultSSLParameters();
        p.setProtocols(new String[] {"TLSv1.3"});
        p.setWantClientAuth(true);
        params.setSSLParameters(p);
      }
    });
    executor = new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(32), r -> {
      Thread t = new Thread(r, "flotilla-enroll");
      t.setDaemon(true);
      return t;
    }, new ThreadPoolExecutor.AbortPolicy());
    server.setExecutor(executor);
    server.createContext(EnrollmentEndpoint.ENROLL_PATH, ex -> handle(ex, "an enrollment", false,
        (e, csr) -> service.enroll(e.getRequestHeaders().getFirst("Authorization"), csr)));
    server.createContext(EnrollmentEndpoint.RENEW_PATH, ex -> handle(ex, "a renewal", true,
        (e, csr) -> service.renew(peerCertificates((HttpsExchange) e), csr)));
    server.createContext(EnrollmentEndpoint.HOST_PATH, ex -> handle(ex, "a party pod's identity", true,
        (e, csr) -> service.host(peerCertificates((HttpsExchange) e), csr)));
    server.createContext(EnrollmentEndpoint.FEDERATION_PATH, this::members);
    server.start();
    LOG.info("enrollment endpoint for {} on {} (https://{}{}, {} and {}); at most {} attempts per {} per client address",
        service.federation(), server.getAddress(), EnrollmentEndpoint.host(service.federation().domain()),
        EnrollmentEndpoint.ENROLL_PATH, EnrollmentEndpoint.RENEW_PATH, EnrollmentEndpoint.HOST_PATH, limiter.perWindow(),
        limiter.window());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static SSLContext tls(EnrollmentService service, Clock clock) {
    try {
      EndpointCredentials credentials = new EndpointCredentials(service::ca, service.federation().domain(), clock);
      SSLContext context = SSLContext.getInstance("TLSv1.3");
      context.init(new KeyManager[] {credentials}, new TrustManager[] {new FederationCaTrust(service::ca)}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up the enrollment endpoint's TLS: " + e.getMessage(), e);
    }
  }

  /** One CSR request and its answer ({@code what} for the log). */
  private interface CsrCall {
    String answer(HttpExchange ex, String csr);
  }

  /**
   * {@code byIdentity}: the call presents a certificate (renewal, a pod's identity), so it counts against the party
   * identity it names, not against the client address that every party behind one ingress shares; an enrollment has
   * no certificate yet and counts against its address.
   */
  private void handle(HttpExchange ex, String what, boolean byIdentity, CsrCall call) throws IOException {
    String address = ex.getRemoteAddress().getAddress().getHostAddress();
    String identity = byIdentity ? asker(peerCertificates((HttpsExchange) ex)) : null;
    String client = identity != null ? identity : address;
    try {
      if (!"POST".equals(ex.getRequestMethod())) {
        respond(ex, 405, "use POST with a PEM CSR");
        return;
      }
      if (!limiter.tryAcquire(client)) {
        LOG.warn("{}: refused an attempt from {}: more than {} in {}", service.federation(), client, limiter.perWindow(),
            limiter.window());
        respond(ex, EnrollmentRefusal.TOO_MANY, "too many attempts from " + client + "; try again later");
        return;
      }
      try {
        String csr = body(ex);
        String answer = call.answer(ex, csr);
        ex.getResponseHeaders().set("Content-Type", "application/x-pem-file");
        respond(ex, 200, answer);
      } catch (EnrollmentRefusal e) {
        LOG.warn("{}: refused {} from {} ({}): {}", service.federation(), what, client,
            e.status(), e.getMessage());
        respond(ex, e.status(), e.getMessage());
      } catch (RuntimeException e) {
        LOG.error("{}: {} from {} failed", service.federation(), what, client, e);
        respond(ex, 500, "the coordinator could not complete the request; it is logged there");
      }
    } finally {
      ex.close();
    }
  }

  /** GET the federation's members (an enrolled party's certificate required); bounded like the other calls. */
  private void members(HttpExchange ex) throws IOException {
    String client = ex.getRemoteAddress().getAddress().getHostAddress();
    try {
      if (!"GET".equals(ex.getRequestMethod())) {
        respond(ex, 405, "use GET");
        return;
      }
      X509Certificate[] presented = peerCertificates((HttpsExchange) ex);
      // counted per party identity; a request without one is refused by the service below, uncounted, so that no
      // stream of addresses can fill the limiter's keys and keep the parties' refreshes out
      String asker = asker(presented);
      if (asker != null && !membersLimiter.tryAcquire(asker)) {
        LOG.warn("{}: refused the members list to {}: more than {} in {}", service.federation(), asker, MEMBERS_PER_MINUTE,
            Duration.ofMinutes(1));
        respond(ex, EnrollmentRefusal.TOO_MANY, "too many members requests from " + asker + "; try again later");
        return;
      }
      try {
        String json = service.federation(presented);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        respond(ex, 200, json);
      } catch (EnrollmentRefusal e) {
        LOG.warn("{}: refused the members list to {} ({}): {}", service.federation(), client, e.status(), e.getMessage());
        respond(ex, e.status(), e.getMessage());
      } catch (RuntimeException e) {
        LOG.error("{}: the members list for {} failed", service.federation(), client, e);
        respond(ex, 500, "the coordinator could not complete the request; it is logged there");
      }
    } finally {
      ex.close();
    }
  }

  /** Who a members request (or a renewal, a pod's identity) counts against: the identity its verified client certificate names; null without one. */
  static String asker(X509Certificate[] presented) {
    if (presented != null && presented.length > 0) {
      try {
        return Identity.of(presented[0]).toString();
      } catch (PkiException e) {
        return null; // no Flotilla identity: the service refuses it
      }
    }
    return null;
  }

  private static X509Certificate[] peerCertificates(HttpsExchange ex) {
    try {
      return (X509Certificate[]) ex.getSSLSession().getPeerCertificates();
    } catch (SSLPeerUnverifiedException | ClassCastException e) {
      return null;
    }
  }

  private static String body(HttpExchange ex) throws IOException {
    String length = ex.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      long declared;
      try {
        declared = Long.parseLong(length.strip());
      } catch (NumberFormatException e) {
        throw new EnrollmentRefusal(EnrollmentRefusal.BAD_REQUEST, "Content-Length is not a number");
      }
      if (declared > EnrollmentEndpoint.MAX_CSR_BYTES) {
        throw new EnrollmentRefusal(EnrollmentRefusal.TOO_LARGE, "a CSR is at most " + EnrollmentEndpoint.MAX_CSR_BYTES
            + " bytes; this one declares " + declared);
      }
    }
    try (InputStream in = ex.getRequestBody()) {
      byte[] bytes = in.readNBytes(EnrollmentEndpoint.MAX_CSR_BYTES + 1);
      if (bytes.length > EnrollmentEndpoint.MAX_CSR_BYTES) {
        throw new EnrollmentRefusal(EnrollmentRefusal.TOO_LARGE, "a CSR is at most " + EnrollmentEndpoint.MAX_CSR_BYTES + " bytes");
      }
      return new String(bytes, StandardCharsets.US_ASCII);
    }
  }

  private static void respond(HttpExchange ex, int status, String text) throws IOException {
    byte[] body = (text.endsWith("\n") ? text : text + "\n").getBytes(StandardCharsets.UTF_8);
    if (!ex.getResponseHeaders().containsKey("Content-Type")) {
      ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    }
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
