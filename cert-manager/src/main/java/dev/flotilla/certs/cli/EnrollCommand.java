package dev.flotilla.certs.cli;

import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.RenewalPolicy;
import dev.flotilla.certs.enroll.EnrollmentClient;
import dev.flotilla.certs.enroll.EnrollmentException;
import dev.flotilla.certs.enroll.JoinToken;
import dev.flotilla.cli.Cli;
import dev.flotilla.cli.CommandFailure;
import dev.flotilla.cli.ExitCode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateParsingException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "enroll", mixinStandardHelpOptions = true,
    description = "Join a federation as a party organisation: make the key here, send only a CSR to the coordinator's "
        + "enrollment endpoint with the join token from 'controller enroll token create', and write DIR/tls.key (0600), "
        + "DIR/tls.crt and DIR/ca.crt. The endpoint is trusted only when its CA matches the pin in the token. With "
        + "--renew, renew DIR's certificate the same way, authenticated by that certificate instead of a token.")
final class EnrollCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--domain", required = true)
  String domain;

  @Option(names = "--endpoint")
  URI endpoint;

  /** Renewal: exclusive with the first enrollment's four flags (checked in {@link #checkMode}). */
  @Option(names = "--renew")
  Path renewDir;

  @Option(names = "--token-file")
  Path tokenFile;

  @Option(names = "--job")
  String job;

  @Option(names = "--name")
  String name;

  @Option(names = "--out")
  Path out;

  @Option(names = "--force")
  boolean force;

  /** Where a renewal's key and CSR wait, inside the renewed directory, until its certificate is stored (--renew says so). */
  static final String PENDING_DIR = "renewal";
  /** Where a first enrollment's key and CSR wait, inside --out, until its certificate is stored (--out says so). */
  static final String PENDING_ENROLLMENT_DIR = "enrollment";

  /** Connect and read timeout of each request. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Override
  public Integer call() {
    checkMode();
    EnrollmentClient client = new EnrollmentClient(endpoint != null ? endpoint : EnrollmentClient.defaultEndpoint(domain),
        domain, TIMEOUT);
    return renewDir != null ? renew(client, renewDir) : enroll(client);
  }

  /**
   * Either --renew or all four flags of a first enrollment (a usage error otherwise). Not picocli's
   * argument groups: their options cannot take the words and parsers of {@link CertsOptions#ENROLL}.
   */
  private void checkMode() {
    Map<String, Object> first = new LinkedHashMap<>();
    first.put("--token-file", tokenFile);
    first.put("--job", job);
    first.put("--name", name);
    first.put("--out", out);
    List<String> given = first.keySet().stream().filter(flag -> first.get(flag) != null).toList();
    if (renewDir != null && !given.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--renew and " + String.join(", ", given) + " are mutually exclusive (renewal needs no token)");
    }
    List<String> missing = first.keySet().stream().filter(flag -> first.get(flag) == null).toList();
    if (renewDir == null && !missing.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "Missing required option(s): " + String.join(", ", missing) + " (or --renew DIR)");
    }
  }

  private int enroll(EnrollmentClient client) {
    Path keyFile = out.resolve(IssuedCertificate.KEY_FILE);
    if (Files.exists(keyFile)) {
      throw new CommandFailure(ExitCode.REFUSED, keyFile + " already exists: refusing to overwrite a private key "
          + "(renew it with --renew " + out + ")");
    }
    JoinToken token = JoinToken.parse(readToken(tokenFile));
    Identity identity = Identity.party(domain, job, name);
    List<String> dnsNames = List.of(job + "." + name + ".party." + domain);
    Path pending = out.resolve(PENDING_ENROLLMENT_DIR);
    CertificateSigningRequest csr;
    KeyPair kept = keptEnrollmentKey(pending, identity, dnsNames);
    if (kept != null) {
      csr = CertificateSigningRequest.create(identity, dnsNames, kept);
      spec.commandLine().getOut().printf("asking again for the key kept in %s (an earlier enrollment was not stored)%n",
          pending);
    } else {
      csr = CertificateSigningRequest.create(identity, dnsNames, KeyType.EC_P256);
      csr.writeTo(pending);
    }
    IssuedCertificate issued = refusalsAsExitCodes(() -> client.enroll(token, identity, csr));
    issued.writeTo(out);
    forget(pending);
    spec.commandLine().getOut().printf("enrolled %s: wrote %s, %s and %s%n", identity, keyFile,
        out.resolve(IssuedCertificate.CERTIFICATE_FILE), out.resolve(IssuedCertificate.CA_FILE));
    ShowCommand.describe(issued.certificate(), spec.commandLine().getOut());
    return 0;
  }

  private int renew(EnrollmentClient client, Path dir) {
    Cli.requireExisting("--renew", dir);
    IssuedCertificate current = IssuedCertificate.load(dir);
    if (!force && !current.needsRenewal(Instant.now())) {
      spec.commandLine().getOut().printf("not due: %s renews after %s (use --force to renew now)%n",
          dir.resolve(IssuedCertificate.CERTIFICATE_FILE), RenewalPolicy.renewalTime(current.certificate()));
      return 0;
    }
    Identity identity = Identity.of(current.certificate());
    Path pending = dir.resolve(PENDING_DIR);
    KeyPair kept = keptKey(pending, current);
    CertificateSigningRequest csr;
    if (kept != null) {
      csr = CertificateSigningRequest.create(identity, dnsNames(current), kept);
      spec.commandLine().getOut().printf("asking again for the key kept in %s (an earlier renewal was not stored)%n", pending);
    } else {
      csr = CertificateSigningRequest.create(identity, dnsNames(current), KeyType.of(current.privateKey()));
      csr.writeTo(pending);
    }
    IssuedCertificate renewed = refusalsAsExitCodes(() -> client.renew(current, csr));
    renewed.writeTo(dir);
    forget(pending);
    spec.commandLine().getOut().printf("renewed %s%n", dir.resolve(IssuedCertificate.CERTIFICATE_FILE));
    ShowCommand.describe(renewed.certificate(), spec.commandLine().getOut());
    return 0;
  }

  /** The key an earlier renewal of {@code current} kept in {@code pending}, if it may ask for it again; else null. */
  private static KeyPair keptKey(Path pending, IssuedCertificate current) {
    if (!Files.exists(pending.resolve(IssuedCertificate.KEY_FILE))) {
      return null;
    }
    try {
      KeyPair kept = CertificateSigningRequest.load(pending).keyPair();
      return current.renewableWith(kept) ? kept : null;
    } catch (PkiException e) {
      // unreadable: replaced by a new key, as if none were kept
      return null;
    }
  }

  /**
   * The key an earlier run kept in {@code pending} for this same enrollment (its answer was lost: the coordinator gives
   * the certificate it recorded for that key again), or null when none is kept. A key kept for another identity or
   * other names is refused rather than replaced: it may be the only key of a certificate the coordinator recorded.
   */
  private static KeyPair keptEnrollmentKey(Path pending, Identity identity, List<String> dnsNames) {
    if (!Files.exists(pending.resolve(IssuedCertificate.KEY_FILE))) {
      return null;
    }
    CertificateSigningRequest kept;
    try {
      kept = CertificateSigningRequest.load(pending);
    } catch (PkiException e) {
      throw new CommandFailure(ExitCode.REFUSED, pending + " holds a key of an earlier enrollment that cannot be read ("
          + e.getMessage() + "): remove " + pending + " or enroll into another --out");
    }
    CertificateSigningRequest asked = CertificateSigningRequest.create(identity, dnsNames, kept.keyPair());
    if (!asked.commonName().equals(kept.commonName()) || !asked.subjectAltNames().equals(kept.subjectAltNames())) {
      throw new CommandFailure(ExitCode.REFUSED, pending + " holds the key of an enrollment of " + kept.commonName() + " "
          + kept.subjectAltNames() + " that was not stored, not of " + identity + ": run that enrollment again, or remove "
          + pending + " or enroll into another --out");
    }
    return kept.keyPair();
  }

  /**
   * Removes what {@link CertificateSigningRequest#writeTo} wrote in {@code pending}, then the directory. Left behind, the
   * key is the stored one and is not asked for again (a renewal checks {@link IssuedCertificate#renewableWith}; a first
   * enrollment into that directory is refused, its tls.key existing): a warning, not a failure.
   */
  private void forget(Path pending) {
    try {
      Files.deleteIfExists(pending.resolve(IssuedCertificate.KEY_FILE));
      Files.deleteIfExists(pending.resolve(CertificateSigningRequest.CSR_FILE));
      Files.deleteIfExists(pending);
    } catch (IOException e) {
      spec.commandLine().getErr().printf("warning: cannot remove %s (%s): it holds a copy of the new key; remove it by hand%n",
          pending, e.getMessage());
    }
  }

  private static List<String> dnsNames(IssuedCertificate current) {
    List<String> names = new ArrayList<>();
    try {
      var sans = current.certificate().getSubjectAlternativeNames();
      if (sans != null) {
        sans.stream().filter(s -> Integer.valueOf(2).equals(s.get(0))).forEach(s -> names.add((String) s.get(1)));
      }
    } catch (CertificateParsingException e) {
      throw new PkiException("cannot read the DNS names of the current certificate: " + e.getMessage(), e);
    }
    return names;
  }

  private static String readToken(Path file) {
    Cli.requireFile("--token-file", file);
    try {
      if (Files.size(file) > 1024) {
        throw new IllegalArgumentException("--token-file " + file + " is larger than a join token");
      }
      return Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read --token-file " + file + ": " + e.getMessage(), e);
    }
  }

  private static IssuedCertificate refusalsAsExitCodes(java.util.function.Supplier<IssuedCertificate> call) {
    try {
      return call.get();
    } catch (EnrollmentException e) {
      ExitCode code = switch (e.status()) {
        case EnrollmentException.UNREACHABLE -> ExitCode.UNREACHABLE;
        case EnrollmentException.TLS -> ExitCode.TLS;
        default -> ExitCode.REFUSED;
      };
      throw new CommandFailure(code, e.getMessage(), e);
    }
  }
}
