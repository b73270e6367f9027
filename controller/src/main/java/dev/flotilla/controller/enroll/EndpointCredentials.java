package dev.flotilla.controller.enroll;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.enroll.EnrollmentEndpoint;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The enrollment endpoint's own TLS identity: {@code spiffe://<domain>/job/flotilla-enroll/server/flotilla-enroll},
 * DNS name {@code flotilla-enroll.server.<domain>}, issued in memory by the federation's CA (never
 * written to a Secret or a file) and presented with that CA certificate after it, so a party holding
 * only the pin finds the CA in the chain. Reissued at half of its lifetime or when the CA changes.
 */
final class EndpointCredentials extends X509ExtendedKeyManager {
  static final Duration LIFETIME = Duration.ofDays(7);
  private static final String ALIAS = "enroll";

  private record Held(CertificateAuthority ca, IssuedCertificate leaf) {}

  private final Supplier<CertificateAuthority> ca;
  private final String domain;
  private final Clock clock;
  private volatile Held held;

  EndpointCredentials(Supplier<CertificateAuthority> ca, String domain, Clock clock) {
    this.ca = ca;
    this.domain = domain;
    this.clock = clock;
  }

  private Held current() {
    Held h = held;
    CertificateAuthority now = ca.get();
    if (h == null || h.ca() != now || !h.leaf().certificate().getNotAfter().toInstant()
        .isAfter(clock.instant().plus(LIFETIME.dividedBy(2)))) {
      synchronized (this) {
        h = new Held(now, now.issue(LeafRequest.builder(EnrollmentEndpoint.identity(domain))
            .dnsNames(EnrollmentEndpoint.host(domain)).lifetime(LIFETIME).build()));
        held = h;
      }
    }
    return h;
  }

  /** Called first in each handshake: reissues here if due, so the key and chain read next belong together. */
  private String alias(String keyType) {
    return current().leaf().certificate().getPublicKey().getAlgorithm().equals(keyType) ? ALIAS : null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return alias(keyType);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return alias(keyType);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Held h = held != null ? held : current();
    java.util.List<X509Certificate> chain = new java.util.ArrayList<>(h.leaf().certificateChain());
    chain.add(h.leaf().caCertificate());
    return chain.toArray(X509Certificate[]::new);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return (held != null ? held : current()).leaf().privateKey();
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[0];
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
