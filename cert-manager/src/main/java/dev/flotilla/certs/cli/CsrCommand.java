package dev.flotilla.certs.cli;

import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.certs.Identity;
import dev.flotilla.cli.CommandFailure;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.PkiException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "csr", mixinStandardHelpOptions = true,
    description = "Make a key and a certificate signing request locally: writes DIR/tls.key (0600) and "
        + "DIR/tls.csr asking for the identity spiffe://DOMAIN/job/JOB/ROLE/NAME (or /ROLE/NAME for ingress "
        + "and controller). Send only tls.csr to the CA ('certs sign'), and put the tls.crt and ca.crt it returns in DIR beside the key, which never leaves this host.")
final class CsrCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--out", required = true)
  Path out;

  @Mixin IdentityOptions identity;

  @Override
  public Integer call() {
    if (Files.exists(out.resolve(IssuedCertificate.KEY_FILE))) {
      throw new CommandFailure(ExitCode.REFUSED, out.resolve(IssuedCertificate.KEY_FILE)
          + " already exists: refusing to overwrite a private key");
    }
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new PkiException("--out " + out + " is not a directory");
    }
    Identity id = identity.identity();
    CertificateSigningRequest csr = CertificateSigningRequest.create(id, identity.dnsNames(id), KeyType.EC_P256);
    csr.writeTo(out);
    spec.commandLine().getOut().printf("wrote %s and %s (%s)%n", out.resolve(IssuedCertificate.KEY_FILE),
        out.resolve(CertificateSigningRequest.CSR_FILE), String.join(", ", csr.subjectAltNames()));
    return 0;
  }
}
