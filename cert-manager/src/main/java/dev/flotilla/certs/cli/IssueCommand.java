package dev.flotilla.certs.cli;

import dev.flotilla.certs.CaLocation;
import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Identity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "issue", mixinStandardHelpOptions = true,
    description = "Issue a certificate and a fresh key with the CA: writes DIR/tls.crt, DIR/tls.key (0600), "
        + "DIR/ca.crt. The certificate carries exactly one identity URI: spiffe://DOMAIN/job/JOB/server|party/NAME "
        + "or spiffe://DOMAIN/ingress|controller/NAME. server: serverAuth, DNS names under .server.DOMAIN; "
        + "party: clientAuth + serverAuth (parties also serve their peers), DNS names under .party.DOMAIN; "
        + "ingress and controller: clientAuth, no DNS names. The key has the CA's key type.")
final class IssueCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--ca", required = true)
  Path caDir;

  @Option(names = "--out", required = true)
  Path out;

  @Mixin IdentityOptions identity;

  @Option(names = "--days")
  int days;

  @Override
  public Integer call() {
    var lifetime = Options.days(spec, days);
    Identity id = identity.identity();
    LeafRequest.Builder builder = LeafRequest.builder(id)
        .dnsNames(identity.dnsNames(id).toArray(String[]::new))
        .lifetime(lifetime);
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new PkiException("--out " + out + " is not a directory");
    }
    CertificateAuthority ca = CertificateAuthority.load(CaLocation.signingDirectory(caDir));
    IssuedCertificate issued = ca.issue(builder.keyType(ca.keyType()).build());
    issued.writeTo(out);
    spec.commandLine().getOut().printf("wrote %s, %s and %s%n", out.resolve(IssuedCertificate.CERTIFICATE_FILE),
        out.resolve(IssuedCertificate.KEY_FILE), out.resolve(IssuedCertificate.CA_FILE));
    ShowCommand.describe(issued.certificate(), spec.commandLine().getOut());
    return 0;
  }
}
