package dev.flotilla.party.client;

import io.grpc.Status;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/** Sorts call failures into the ones a reconnect can cure and the ones a person must fix. */
final class Failures {
  private static final Pattern CERTIFICATE_PROBLEM = Pattern.compile(
      "certificate|unknown_ca|unknown ca|bad_certificate|pkix|verif|subject alternative|hostname|"
          + "handshake_failure|no_cipher|expired|revoked",
      Pattern.CASE_INSENSITIVE);

  private Failures() {}

  /** The TLS exception in the cause chain, if the failure happened in the handshake. */
  static Optional<SSLException> tlsCause(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SSLException ssl) {
        return Optional.of(ssl);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return Optional.empty();
  }

  /** The innermost message of a cause chain, which is usually the one naming the real problem. */
  static String rootMessage(Throwable failure) {
    String message = String.valueOf(failure.getMessage());
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t.getMessage() != null) {
        message = t.getMessage();
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return message;
  }

  static boolean looksLikeCertificateProblem(SSLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.security.cert.CertificateException
          || (t.getMessage() != null && CERTIFICATE_PROBLEM.matcher(t.getMessage()).find())) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /**
   * Statuses that mean the server refuses this party for good, at Join.
   *
   * @return the person-facing reason, or empty when a retry may succeed
   */
  static Optional<String> refusalAtJoin(Status status) {
    String description = status.getDescription() == null ? "" : ": " + status.getDescription();
    return switch (status.getCode()) {
      case PERMISSION_DENIED -> Optional.of("the server refused this party (PERMISSION_DENIED" + description
          + "); use a party certificate of the server's job, or ask its operator to add this identity to --allow-party");
      case UNAUTHENTICATED -> Optional.of("the server did not accept this party's identity (UNAUTHENTICATED"
          + description + "); use a party certificate (URI SAN spiffe://<domain>/job/<job>/party/<name>) issued by the job's CA");
      case FAILED_PRECONDITION -> Optional.of("the job cannot be joined (FAILED_PRECONDITION" + description
          + "); it has most likely finished already");
      case RESOURCE_EXHAUSTED -> Optional.of("the job is full (RESOURCE_EXHAUSTED" + description
          + "); the server takes no more parties");
      case UNIMPLEMENTED -> Optional.of("the server does not speak the Flotilla federation protocol (UNIMPLEMENTED"
          + description + "); check --server");
      case INVALID_ARGUMENT -> Optional.of("the server rejected the join request (INVALID_ARGUMENT" + description + ")");
      default -> Optional.empty();
    };
  }

  static String describe(Status status) {
    String text = status.getCode().name();
    if (status.getDescription() != null) {
      text += ": " + status.getDescription();
    }
    if (status.getCause() != null) {
      text += " (" + rootMessage(status.getCause()).toLowerCase(Locale.ROOT).strip() + ")";
    }
    return text;
  }
}
