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
import java.security.cert.CertificateParsingException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
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

  @Option(names = "--domain", required = true, paramLabel = "DOMAIN", description = "The federation's trust domain.")
  String domain;

  @Option(names = "--endpoint", paramLabel = "URL",
      description = "The enrollment endpoint (default: https://flotilla-enroll.server.DOMAIN). An address that reaches "
          + "it also works (https://203.0.113.7:443): TLS still asks for and checks flotilla-enroll.server.DOMAIN.")
  URI endpoint;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Mode mode;

  static final class Mode {
    @ArgGroup(exclusive = false)
    First first;

    @Option(names = "--renew", paramLabel = "DIR", required = true,
        description = "Renew the certificate in DIR (tls.crt, tls.key, ca.crt) with a fresh key when due (two thirds "
            + "of its lifetime), or always with --force.")
    Path renewDir;
  }

  static final class First {
    @Option(names = "--token-file", required = true, paramLabel = "FILE",
        description = "File holding the join token <id>.<secret>:sha256:<hex> (a file, so the secret is not in ps).")
    Path tokenFile;

    @Option(names = "--job", required = true, paramLabel = "JOB", description = "The job the token admits this party to.")
    String job;

    @Option(names = "--name", required = true, paramLabel = "ORG", description = "The organisation the token was made for.")
    String name;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for tls.key, tls.crt, ca.crt.")
    Path out;
  }

  @Option(names = "--force", description = "With --renew: renew even when not due.")
  boolean force;

  /** Connect and read timeout of each request. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Override
  public Integer call() {
    EnrollmentClient client = new EnrollmentClient(endpoint != null ? endpoint : EnrollmentClient.defaultEndpoint(domain),
        domain, TIMEOUT);
    return mode.renewDir != null ? renew(client, mode.renewDir) : enroll(client, mode.first);
  }

  private int enroll(EnrollmentClient client, First first) {
    Path keyFile = first.out.resolve(IssuedCertificate.KEY_FILE);
    if (Files.exists(keyFile)) {
      throw new CommandFailure(ExitCode.REFUSED, keyFile + " already exists: refusing to overwrite a private key "
          + "(renew it with --renew " + first.out + ")");
    }
    JoinToken token = JoinToken.parse(readToken(first.tokenFile));
    Identity identity = Identity.party(domain, first.job, first.name);
    CertificateSigningRequest csr = CertificateSigningRequest.create(identity,
        List.of(first.job + "." + first.name + ".party." + domain), KeyType.EC_P256);
    IssuedCertificate issued = refusalsAsExitCodes(() -> client.enroll(token, identity, csr));
    issued.writeTo(first.out);
    spec.commandLine().getOut().printf("enrolled %s: wrote %s, %s and %s%n", identity, keyFile,
        first.out.resolve(IssuedCertificate.CERTIFICATE_FILE), first.out.resolve(IssuedCertificate.CA_FILE));
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
    CertificateSigningRequest csr = CertificateSigningRequest.create(identity, dnsNames(current), KeyType.of(current.privateKey()));
    IssuedCertificate renewed = refusalsAsExitCodes(() -> client.renew(current, csr));
    renewed.writeTo(dir);
    spec.commandLine().getOut().printf("renewed %s%n", dir.resolve(IssuedCertificate.CERTIFICATE_FILE));
    ShowCommand.describe(renewed.certificate(), spec.commandLine().getOut());
    return 0;
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
