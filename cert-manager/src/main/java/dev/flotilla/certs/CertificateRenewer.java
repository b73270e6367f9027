package dev.flotilla.certs;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reissues the certificate in a directory (tls.crt, tls.key, ca.crt) when it is due
 * ({@link RenewalPolicy}): same names, role, usages, lifetime and key type, with a fresh key. The
 * new files replace the old ones atomically, so a server built with {@code MutualTlsServers}
 * presents the new certificate at its next handshake.
 */
public final class CertificateRenewer {
  private static final Logger log = LoggerFactory.getLogger(CertificateRenewer.class);

  private final CertificateAuthority ca;

  public CertificateRenewer(CertificateAuthority ca) {
    this.ca = Objects.requireNonNull(ca, "ca");
  }

  /** Renews dir's certificate if due now (or always, with {@code force}); returns the new one, or empty when not due. */
  public Optional<IssuedCertificate> renewIfDue(Path dir, boolean force) {
    return renewIfDue(dir, force, Instant.now());
  }

  public Optional<IssuedCertificate> renewIfDue(Path dir, boolean force, Instant now) {
    X509Certificate current = Pem.readCertificate(dir.resolve(IssuedCertificate.CERTIFICATE_FILE));
    checkIssuedByThisCa(current, dir);
    if (!force && !RenewalPolicy.needsRenewal(current, now)) {
      log.debug("{} is not due before {}", dir, RenewalPolicy.renewalTime(current));
      return Optional.empty();
    }
    IssuedCertificate renewed = ca.issue(Certificates.requestOf(current));
    renewed.writeTo(dir);
    log.info("renewed {} (CN={}): new certificate valid until {}", dir, Certificates.commonName(current),
        renewed.certificate().getNotAfter().toInstant());
    return Optional.of(renewed);
  }

  /**
   * Checks dir every {@code interval} on {@code executor} and renews when due; failures are logged
   * and retried at the next check. Cancel the returned future to stop.
   */
  public ScheduledFuture<?> schedule(ScheduledExecutorService executor, Path dir, Duration interval) {
    return executor.scheduleWithFixedDelay(() -> {
      try {
        renewIfDue(dir, false);
      } catch (RuntimeException e) {
        log.warn("renewal of {} failed, retrying in {}: {}", dir, interval, e.getMessage());
      }
    }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void checkIssuedByThisCa(X509Certificate current, Path dir) {
    try {
      current.verify(ca.certificate().getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new PkiException(dir.resolve(IssuedCertificate.CERTIFICATE_FILE) + " was not issued by the CA '"
          + Certificates.commonName(ca.certificate()) + "'");
    }
  }
}
