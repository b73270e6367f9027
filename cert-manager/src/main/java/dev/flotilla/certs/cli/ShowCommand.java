package dev.flotilla.certs.cli;

import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.certs.Certificates;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Fingerprints;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.RenewalPolicy;
import dev.flotilla.cli.Cli;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "show", mixinStandardHelpOptions = true,
    description = "Print subject, SANs, usages, validity and SHA-256 fingerprint of each certificate in FILE (or a CSR).")
final class ShowCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE", description = "A PEM file: certificate(s) or a CSR.")
  Path file;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Cli.requireFile("FILE", file);
    String text = Files.exists(file) && Files.isRegularFile(file) && Files.isReadable(file) ? Files.readString(file) : "";
    if (text.contains("CERTIFICATE REQUEST")) {
      CertificateSigningRequest csr = CertificateSigningRequest.read(file);
      out.printf("Certificate signing request%n");
      out.printf("  Subject:        CN=%s%n", csr.commonName());
      out.printf("  SANs:           %s%n", String.join(", ", csr.subjectAltNames()));
      out.printf("  Key:            %s%n", describe(KeyType.of(csr.publicKey())));
      out.printf("  Signature:      %s%n", csr.signatureIsValid() ? "valid" : "DOES NOT VERIFY");
      return 0;
    }
    List<X509Certificate> certs = Pem.readCertificates(file);
    for (int i = 0; i < certs.size(); i++) {
      if (certs.size() > 1) {
        out.printf("Certificate %d of %d%n", i + 1, certs.size());
      }
      describe(certs.get(i), out);
    }
    return 0;
  }

  static void describe(X509Certificate cert, PrintWriter out) {
    List<String> sans = new ArrayList<>();
    Certificates.dnsNames(cert).forEach(d -> sans.add("DNS:" + d));
    Certificates.ipAddresses(cert).forEach(ip -> sans.add("IP:" + ip));
    Certificates.uris(cert).forEach(u -> sans.add("URI:" + u));
    Instant now = Instant.now();
    String status = now.isAfter(cert.getNotAfter().toInstant()) ? "EXPIRED"
        : now.isBefore(cert.getNotBefore().toInstant()) ? "not yet valid"
        : RenewalPolicy.needsRenewal(cert, now) ? "valid, due for renewal" : "valid";
    out.printf("  Subject:        %s%n", cert.getSubjectX500Principal().getName());
    out.printf("  Issuer:         %s%n", cert.getIssuerX500Principal().getName());
    out.printf("  Serial:         %s%n", cert.getSerialNumber().toString(16));
    out.printf("  CA:             %s%n", Certificates.isCa(cert) ? "yes" : "no");
    out.printf("  SANs:           %s%n", sans.isEmpty() ? "(none)" : String.join(", ", sans));
    if (!Certificates.isCa(cert)) {
      out.printf("  Identity:       %s%n", identityOf(cert));
    }
    out.printf("  Key usage:      %s%n", String.join(", ", keyUsages(cert)));
    List<String> ekus = Certificates.extendedKeyUsages(cert);
    out.printf("  Ext. key usage: %s%n", ekus.isEmpty() ? "(none)" : String.join(", ", ekus));
    out.printf("  Key:            %s%n", describe(KeyType.of(cert.getPublicKey())));
    out.printf("  Not before:     %s%n", cert.getNotBefore().toInstant());
    out.printf("  Not after:      %s%n", cert.getNotAfter().toInstant());
    out.printf("  Renew after:    %s%n", RenewalPolicy.renewalTime(cert));
    out.printf("  Status:         %s%n", status);
    out.printf("  SHA-256:        %s%n", Fingerprints.sha256(cert));
    out.flush();
  }

  /** The Flotilla identity, or why the certificate has none (peers would refuse it). */
  private static String identityOf(X509Certificate cert) {
    try {
      Identity identity = Identity.of(cert);
      return identity.role().pathSegment() + (identity.job() == null ? "" : " of job " + identity.job()) + " '"
          + identity.name() + "' in " + identity.trustDomain();
    } catch (PkiException e) {
      return "NONE: " + e.getMessage();
    }
  }

  private static String describe(KeyType type) {
    return switch (type) {
      case EC_P256 -> "ECDSA P-256";
      case RSA_2048 -> "RSA 2048";
      case RSA_3072 -> "RSA 3072";
    };
  }

  private static List<String> keyUsages(X509Certificate cert) {
    String[] names = {"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
        "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"};
    boolean[] bits = cert.getKeyUsage();
    List<String> out = new ArrayList<>();
    if (bits != null) {
      for (int i = 0; i < bits.length && i < names.length; i++) {
        if (bits[i]) {
          out.add(names[i]);
        }
      }
    }
    return out;
  }
}
