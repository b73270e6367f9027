package dev.flotilla.certs.cli;

import dev.flotilla.certs.CaLocation;
import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.cli.Cli;
import dev.flotilla.cli.CommandFailure;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
import dev.flotilla.certs.SigningPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "sign", mixinStandardHelpOptions = true,
    description = "Sign a CSR with the CA: writes tls.crt and ca.crt beside the CSR (or in --out DIR); the "
        + "key stays with the requester. The CSR must ask for exactly one identity of --role in --domain (and of --job when "
        + "given), and only DNS names in that role's zone (servers: .server.DOMAIN, parties: .party.DOMAIN); "
        + "anything else is refused, naming it. The CSR's signature must verify. Lifetime: 90 days.")
final class SignCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--ca", required = true)
  Path caDir;

  @Option(names = "--csr", required = true)
  Path csrFile;

  @Option(names = "--out")
  Path out;

  @Option(names = "--role", required = true)
  Role role;

  @Option(names = "--domain", required = true)
  String domain;

  @Option(names = "--job")
  String job;

  @Override
  public Integer call() {
    SigningPolicy policy = SigningPolicy.forTrustDomain(domain);
    if (job != null) {
      policy = policy.onlyJob(job);
    }
    Cli.requireFile("--csr", csrFile);
    if (out == null) {
      out = csrFile.toAbsolutePath().getParent();
    }
    CertificateSigningRequest csr = CertificateSigningRequest.read(csrFile);
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new PkiException("--out " + out + " is not a directory");
    }
    CertificateAuthority ca = CertificateAuthority.load(CaLocation.signingDirectory(caDir));
    IssuedCertificate signed;
    try {
      signed = ca.sign(csr, role, policy);
    } catch (PkiException e) {
      throw new CommandFailure(ExitCode.REFUSED, e.getMessage(), e);
    }
    signed.writeTo(out);
    spec.commandLine().getOut().printf("wrote %s and %s%n", out.resolve(IssuedCertificate.CERTIFICATE_FILE),
        out.resolve(IssuedCertificate.CA_FILE));
    ShowCommand.describe(signed.certificate(), spec.commandLine().getOut());
    return 0;
  }
}
