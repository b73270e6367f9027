package dev.flotilla.certs.cli;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Fingerprints;
import dev.flotilla.cli.CommandFailure;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.PkiException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "init-ca", mixinStandardHelpOptions = true,
    description = "Create a self-signed root CA: writes DIR/ca.crt and DIR/ca.key (mode 0600). Refuses to "
        + "overwrite an existing CA key.")
final class InitCaCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--out", required = true)
  Path out;

  @Option(names = "--name")
  String name;

  @Option(names = "--days")
  int days;

  @Option(names = "--key-type")
  KeyType keyType;

  @Override
  public Integer call() {
    var lifetime = Options.days(spec, days);
    if (Files.exists(out.resolve(CertificateAuthority.KEY_FILE))) {
      throw new CommandFailure(ExitCode.REFUSED, out.resolve(CertificateAuthority.KEY_FILE)
          + " already exists: refusing to overwrite a CA key");
    }
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new PkiException("--out " + out + " is not a directory");
    }
    CertificateAuthority ca = CertificateAuthority.createRoot(name, lifetime, keyType);
    ca.writeTo(out);
    spec.commandLine().getOut().printf("wrote %s and %s (CN=%s, %s, until %s)%nSHA-256 fingerprint: %s%n",
        out.resolve(CertificateAuthority.CERTIFICATE_FILE), out.resolve(CertificateAuthority.KEY_FILE), name,
        keyType.cliName(), ca.certificate().getNotAfter().toInstant(), Fingerprints.sha256(ca.certificate()));
    return 0;
  }
}
