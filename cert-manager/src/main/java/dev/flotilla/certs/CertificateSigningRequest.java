package dev.flotilla.certs;

import dev.flotilla.common.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * A PKCS#10 certificate signing request. A party makes its key and CSR locally
 * ({@link #create}), sends only the CSR, and the CA signs it within its {@link SigningPolicy}.
 * On disk: {@code tls.csr} and {@code tls.key} (mode 0600).
 */
public final class CertificateSigningRequest {
  public static final String CSR_FILE = "tls.csr";

  private final PKCS10CertificationRequest csr;
  private final PrivateKey privateKey;

  private CertificateSigningRequest(PKCS10CertificationRequest csr, PrivateKey privateKey) {
    this.csr = csr;
    this.privateKey = privateKey;
  }

  /**
   * A fresh key and a CSR asking for {@code identity} (its URI SAN, its name as CN) and DNS names
   * within the identity's role zone, signed with that key.
   */
  public static CertificateSigningRequest create(Identity identity, List<String> dnsNames, KeyType keyType) {
    return create(identity, dnsNames, keyType.generate());
  }

  /**
   * As {@link #create(Identity, List, KeyType)}, with the key {@code keys} instead of a fresh one: a renewal asked again
   * after its answer was lost asks for the key the coordinator may already have certified.
   */
  public static CertificateSigningRequest create(Identity identity, List<String> dnsNames, KeyPair keys) {
    List<String> sans = new ArrayList<>();
    dnsNames.stream().map(identity::checkDnsName).forEach(d -> sans.add("DNS:" + d));
    sans.add("URI:" + identity.uri());
    return withSubjectAltNames(identity.name(), sans, keys);
  }

  /**
   * A CSR with whatever CN and SANs ({@code DNS:}, {@code IP:}, {@code URI:}) it is given,
   * unchecked: for tests of what a CA refuses.
   */
  static CertificateSigningRequest withSubjectAltNames(String commonName, List<String> sans, KeyType keyType) {
    return withSubjectAltNames(commonName, sans, keyType.generate());
  }

  private static CertificateSigningRequest withSubjectAltNames(String commonName, List<String> sans, KeyPair keys) {
    KeyType keyType = KeyType.of(keys.getPublic());
    List<GeneralName> names = new ArrayList<>();
    for (String san : sans) {
      int colon = san.indexOf(':');
      String type = san.substring(0, colon);
      String value = san.substring(colon + 1);
      names.add(switch (type) {
        case "DNS" -> new GeneralName(GeneralName.dNSName, value);
        case "IP" -> new GeneralName(GeneralName.iPAddress, value);
        case "URI" -> new GeneralName(GeneralName.uniformResourceIdentifier, value);
        default -> throw new IllegalArgumentException("SAN type " + type);
      });
    }
    try {
      JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(
          new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build(), keys.getPublic());
      if (!names.isEmpty()) {
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        extensions.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(names.toArray(GeneralName[]::new)));
        builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
      }
      PKCS10CertificationRequest csr =
          builder.build(new JcaContentSignerBuilder(keyType.signatureAlgorithm()).build(keys.getPrivate()));
      return new CertificateSigningRequest(csr, keys.getPrivate());
    } catch (IOException | OperatorCreationException e) {
      throw new PkiException("cannot build CSR: " + e.getMessage(), e);
    }
  }

  /** Reads a CSR from a PEM file (without the key, which stays with the requester). */
  public static CertificateSigningRequest read(Path file) {
    return new CertificateSigningRequest(Pem.readCsr(file), null);
  }

  /**
   * A CSR and the key it was made with, as {@link #writeTo} wrote them ({@code source} names them in a refusal); refused
   * when the key is not the CSR's.
   */
  public static CertificateSigningRequest fromPem(String csrPem, String privateKeyPem, String source) {
    PKCS10CertificationRequest csr = Pem.parseCsr(csrPem, source);
    PrivateKey key = Pem.parsePrivateKey(privateKeyPem, source);
    CertificateSigningRequest withKey = new CertificateSigningRequest(csr, key);
    if (!CertificateAuthority.keyMatches(withKey.publicKey(), key)) {
      throw new PkiException(source + ": the key is not the key of the CSR");
    }
    return withKey;
  }

  /** Reads what {@link #writeTo} wrote in {@code dir}: {@code tls.csr} and its key {@code tls.key}. */
  public static CertificateSigningRequest load(Path dir) {
    return fromPem(Pem.readText(dir.resolve(CSR_FILE)), Pem.readText(dir.resolve(IssuedCertificate.KEY_FILE)), dir.toString());
  }

  /** The CSR's public key and the key made with it; throws {@link IllegalStateException} for a CSR read without its key. */
  public KeyPair keyPair() {
    return new KeyPair(publicKey(), privateKey());
  }

  public static CertificateSigningRequest of(PKCS10CertificationRequest csr) {
    return new CertificateSigningRequest(csr, null);
  }

  public PKCS10CertificationRequest toPkcs10() {
    return csr;
  }

  public String pem() {
    return Pem.encode(csr);
  }

  /** The key made with this CSR; throws {@link IllegalStateException} for a CSR read from a file. */
  public PrivateKey privateKey() {
    if (privateKey == null) {
      throw new IllegalStateException("no private key: this CSR was read from a file");
    }
    return privateKey;
  }

  /** Writes dir/tls.key (mode 0600) and dir/tls.csr, all or none. */
  public void writeTo(Path dir) {
    try {
      AtomicFiles.batch()
          .addSecret(dir.resolve(IssuedCertificate.KEY_FILE), Pem.encode(privateKey()))
          .add(dir.resolve(CSR_FILE), pem())
          .write();
    } catch (IOException e) {
      throw PkiException.io(e);
    }
  }

  /** True when the CSR is signed by the key it carries (proof of possession, and not tampered with). */
  public boolean signatureIsValid() {
    try {
      return csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey()));
    } catch (OperatorCreationException | PKCSException | RuntimeException e) {
      return false;
    }
  }

  public PublicKey publicKey() {
    String algorithm = csr.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm().equals(X9ObjectIdentifiers.id_ecPublicKey)
        ? "EC" : "RSA";
    try {
      return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(csr.getSubjectPublicKeyInfo().getEncoded()));
    } catch (GeneralSecurityException | IOException e) {
      throw new PkiException("unsupported or corrupt public key in CSR: " + Pem.oneLine(e), e);
    }
  }

  /** The subject's CN, or the empty string when it has none; a malformed subject is a {@link PkiException}. */
  public String commonName() {
    try {
      RDN[] cns = csr.getSubject().getRDNs(BCStyle.CN);
      return cns.length == 0 ? "" : IETFUtils.valueToString(cns[0].getFirst().getValue());
    } catch (RuntimeException e) {
      // Bouncy Castle parses the subject lazily and throws IllegalArgumentException on a malformed RDN
      throw new PkiException("corrupt subject in CSR: " + Pem.oneLine(e), e);
    }
  }

  /** Every requested SAN as {@code TYPE:value} (DNS:, IP:, URI:, email:, other:), in request order. */
  public List<String> subjectAltNames() {
    List<String> out = new ArrayList<>();
    Extensions extensions = requestedExtensions();
    try {
      GeneralNames names = extensions == null ? null
          : GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
      if (names == null) {
        return out;
      }
      for (GeneralName name : names.getNames()) {
        ASN1Encodable value = name.getName();
        switch (name.getTagNo()) {
          case GeneralName.dNSName -> out.add("DNS:" + DERIA5String.getInstance(value).getString());
          case GeneralName.uniformResourceIdentifier -> out.add("URI:" + DERIA5String.getInstance(value).getString());
          case GeneralName.rfc822Name -> out.add("email:" + DERIA5String.getInstance(value).getString());
          case GeneralName.iPAddress -> out.add("IP:" + ipString(org.bouncycastle.asn1.ASN1OctetString.getInstance(value).getOctets()));
          default -> out.add("other(" + name.getTagNo() + "):" + value);
        }
      }
    } catch (RuntimeException e) {
      // the extension's value is parsed here, on request: Bouncy Castle throws IllegalArgumentException
      throw new PkiException("corrupt subject alternative names in CSR: " + Pem.oneLine(e), e);
    }
    return out;
  }

  /** Extended key usages the CSR asks for, by OID; empty when it asks for none. */
  public List<String> requestedExtendedKeyUsages() {
    Extensions extensions = requestedExtensions();
    List<String> out = new ArrayList<>();
    if (extensions == null) {
      return out;
    }
    try {
      ExtendedKeyUsage eku = ExtendedKeyUsage.fromExtensions(extensions);
      if (eku != null) {
        for (KeyPurposeId id : eku.getUsages()) {
          out.add(id.getId());
        }
      }
    } catch (RuntimeException e) {
      throw new PkiException("corrupt extended key usage in CSR: " + Pem.oneLine(e), e);
    }
    return out;
  }

  private Extensions requestedExtensions() {
    Attribute[] attributes = csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest);
    if (attributes.length == 0 || attributes[0].getAttrValues().size() == 0) {
      return null;
    }
    try {
      return Extensions.getInstance(attributes[0].getAttrValues().getObjectAt(0));
    } catch (RuntimeException e) {
      throw new PkiException("corrupt extension request in CSR: " + Pem.oneLine(e), e);
    }
  }

  private static String ipString(byte[] octets) {
    try {
      return java.net.InetAddress.getByAddress(octets).getHostAddress();
    } catch (java.net.UnknownHostException e) {
      return "invalid(" + octets.length + " bytes)";
    }
  }
}
