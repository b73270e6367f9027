package dev.flotilla.testing;

import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates signed by a job's own CA that Flotilla's issuer refuses to make: a CN and no
 * identity URI, several URIs, the old {@code spiffe://<domain>/<role>/<name>} shape, a party
 * identity carrying the aggregator's host name. They stand for what an attacker holds who got
 * such a certificate from a careless CA holder, or before the identity scheme existed. Bouncy
 * Castle directly, so the tests do not depend on the code under test to make them.
 */
public final class RogueCertificates {
  private RogueCertificates() {}

  /**
   * Issues a leaf with CN {@code cn}, the given SANs ({@code DNS:name} or {@code URI:uri}) and both
   * TLS usages, signed by the EC CA in {@code caDir} ({@code ca.crt}, {@code ca.key} as PKCS#8
   * PEM); writes {@code out/tls.crt}, {@code out/tls.key} and {@code out/ca.crt}.
   */
  public static Path issue(Path caDir, Path out, String cn, String... sans) {
    try {
      X509Certificate ca = readCertificate(caDir.resolve("ca.crt"));
      PrivateKey caKey = readKey(caDir.resolve("ca.key"));
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair keys = generator.generateKeyPair();
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          new JcaX509CertificateHolder(ca).getSubject(), new BigInteger(64, new SecureRandom()).add(BigInteger.ONE),
          Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), new X500Name("CN=" + cn),
          keys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      List<GeneralName> names = new ArrayList<>();
      for (String san : sans) {
        names.add(san.startsWith("DNS:") ? new GeneralName(GeneralName.dNSName, san.substring(4))
            : new GeneralName(GeneralName.uniformResourceIdentifier, san.substring(4)));
      }
      if (!names.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
      Files.createDirectories(out);
      Files.writeString(out.resolve("tls.crt"), pem("CERTIFICATE", leaf.getEncoded()));
      Files.writeString(out.resolve("tls.key"), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
      Files.writeString(out.resolve("ca.crt"), pem("CERTIFICATE", ca.getEncoded()));
      return out;
    } catch (Exception e) {
      throw new IllegalStateException("cannot issue the rogue certificate " + cn, e);
    }
  }

  private static X509Certificate readCertificate(Path file) throws Exception {
    try (var in = Files.newInputStream(file)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static PrivateKey readKey(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(reader)) {
      return new JcaPEMKeyConverter().getPrivateKey(PrivateKeyInfo.getInstance(parser.readObject()));
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
