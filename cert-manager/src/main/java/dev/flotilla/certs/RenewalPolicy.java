package dev.flotilla.certs;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

/** When a certificate is due: at two thirds of its lifetime, leaving a third to renew and roll out. */
public final class RenewalPolicy {
  private RenewalPolicy() {}

  /** The instant two thirds of the way from notBefore to notAfter. */
  public static Instant renewalTime(X509Certificate certificate) {
    Instant notBefore = certificate.getNotBefore().toInstant();
    Instant notAfter = certificate.getNotAfter().toInstant();
    return notBefore.plus(Duration.between(notBefore, notAfter).multipliedBy(2).dividedBy(3));
  }

  public static boolean needsRenewal(X509Certificate certificate, Instant now) {
    return !now.isBefore(renewalTime(certificate));
  }

  public static boolean needsRenewal(X509Certificate certificate) {
    return needsRenewal(certificate, Instant.now());
  }
}
