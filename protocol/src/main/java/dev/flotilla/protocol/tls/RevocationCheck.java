package dev.flotilla.protocol.tls;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.enroll.RevokedSerials;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.CertificateException;
import java.security.cert.CertificateRevokedException;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.Map;
import javax.security.auth.x500.X500Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The revoked serials a server reads from a file (the coordinator's {@code flotilla-revoked.<domain>}
 * ConfigMap, mounted, or a file on bare metal), re-read when the file changes. A client certificate
 * whose serial is listed fails the TLS handshake with a {@link CertificateRevokedException}, which
 * BoringSSL answers with the {@code certificate_revoked} alert: the party learns why at once. A file
 * that becomes unreadable or malformed keeps the last good list (and says so); a missing file at start
 * is an error, since a revocation list that silently is not read revokes nothing.
 */
final class RevocationCheck {
  private static final Logger log = LoggerFactory.getLogger(RevocationCheck.class);

  private record Loaded(FileStamp stamp, RevokedSerials serials) {}

  private final Path file;
  private volatile Loaded current;

  RevocationCheck(Path file) {
    this.file = file;
    this.current = new Loaded(FileStamp.of(file), read(file));
    log.info("revoked serials from {}: {}", file, current.serials.size());
  }

  void check(X509Certificate[] chain) throws CertificateException {
    X509Certificate leaf = chain[0];
    RevokedSerials serials = serials();
    BigInteger serial = leaf.getSerialNumber();
    if (serials.isRevoked(serial)) {
      String who;
      try {
        who = Identity.of(leaf).toString();
      } catch (PkiException e) {
        who = leaf.getSubjectX500Principal().getName();
      }
      String note = serials.note(serial);
      log.warn("refused {} in the TLS handshake: its certificate (serial {}{}) is revoked in {}", who,
          RevokedSerials.hex(serial), note.isEmpty() ? "" : ", " + note, file);
      throw new CertificateRevokedException(new Date(), CRLReason.UNSPECIFIED, leaf.getIssuerX500Principal(), Map.of()) {
        @Override
        public String getMessage() {
          return "certificate serial " + RevokedSerials.hex(serial) + " is revoked";
        }
      };
    }
  }

  private RevokedSerials serials() {
    Loaded l = current;
    FileStamp stamp = FileStamp.of(file);
    if (!stamp.equals(l.stamp)) {
      synchronized (this) {
        if (!stamp.equals(current.stamp)) {
          try {
            current = new Loaded(stamp, read(file));
            log.info("revoked serials re-read from {}: {}", file, current.serials.size());
          } catch (IllegalArgumentException e) {
            log.warn("keeping the last {} revoked serials: {}", current.serials.size(), e.getMessage());
            current = new Loaded(stamp, current.serials);
          }
        }
        l = current;
      }
    }
    return l.serials;
  }

  private static RevokedSerials read(Path file) {
    try {
      if (Files.size(file) > RevokedSerials.MAX_BYTES) {
        throw new IllegalArgumentException("revoked serials file " + file + " is larger than " + RevokedSerials.MAX_BYTES + " bytes");
      }
      return RevokedSerials.parse(Files.readString(file, StandardCharsets.US_ASCII), "revoked serials file " + file);
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new IllegalArgumentException("cannot read the revoked serials file " + file + ": " + e.getMessage(), e);
    }
  }
}
