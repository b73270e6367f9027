package dev.flotilla.certs.cli;

import dev.flotilla.certs.CaLocation;
import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.CertificateRenewer;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.RenewalPolicy;
import dev.flotilla.cli.Cli;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "renew", mixinStandardHelpOptions = true,
    description = "Reissue DIR/tls.crt with a fresh DIR/tls.key when it is due (two thirds of its lifetime), "
        + "keeping names, role and lifetime. Servers built by Flotilla pick up the new files without "
        + "a restart.")
final class RenewCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--ca", required = true)
  Path caDir;

  @Option(names = "--dir", required = true)
  Path dir;

  @Option(names = "--force")
  boolean force;

  @Override
  public Integer call() {
    Cli.requireExisting("--dir", dir);
    var current = Pem.readCertificate(dir.resolve(IssuedCertificate.CERTIFICATE_FILE));
    CertificateAuthority ca = CertificateAuthority.load(CaLocation.signingDirectory(caDir));
    var renewed = new CertificateRenewer(ca).renewIfDue(dir, force);
    if (renewed.isEmpty()) {
      spec.commandLine().getOut().printf("not due: %s renews after %s (use --force to renew now)%n",
          dir.resolve(IssuedCertificate.CERTIFICATE_FILE), RenewalPolicy.renewalTime(current));
      return 0;
    }
    spec.commandLine().getOut().printf("renewed %s%n", dir.resolve(IssuedCertificate.CERTIFICATE_FILE));
    ShowCommand.describe(renewed.get().certificate(), spec.commandLine().getOut());
    return 0;
  }
}
