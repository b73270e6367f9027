package dev.flotilla.certs;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * PEM in and out. Keys are written as unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}), the form
 * netty, grpc, nginx and openssl all read; keys are read in PKCS#8 or in the traditional
 * {@code EC/RSA PRIVATE KEY} form openssl writes.
 */
public final class Pem {
  private Pem() {}

  public static String encode(X509Certificate... certificates) {
    return encodeObjects((Object[]) certificates);
  }

  public static String encode(List<X509Certificate> certificates) {
    return encodeObjects(certificates.toArray());
  }

  public static String encode(PrivateKey key) {
    try {
      return encodeObjects(new JcaPKCS8Generator(key, null).generate());
    } catch (IOException e) {
      throw new PkiException("cannot encode private key: " + e.getMessage(), e);
    }
  }

  public static String encode(PKCS10CertificationRequest csr) {
    return encodeObjects(csr);
  }

  private static String encodeObjects(Object... objects) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      for (Object o : objects) {
        writer.writeObject(o);
      }
    } catch (IOException e) {
      throw new PkiException("cannot encode PEM: " + e.getMessage(), e);
    }
    return out.toString();
  }

  /** Every certificate in a PEM file, in file order; fails naming the file if there is none or one is corrupt. */
  public static List<X509Certificate> readCertificates(Path file) {
    return parseCertificates(readText(file), file.toString());
  }

  /** Every certificate in PEM text, in order; {@code source} names the text in error messages. */
  public static List<X509Certificate> parseCertificates(String pem, String source) {
    List<X509Certificate> certs = new ArrayList<>();
    for (Object o : parseObjects(pem, source)) {
      if (o instanceof X509CertificateHolder) {
        certs.add(toCertificate((X509CertificateHolder) o, source));
      }
    }
    if (certs.isEmpty()) {
      throw new PkiException("no certificate in " + source);
    }
    return certs;
  }

  public static X509Certificate readCertificate(Path file) {
    return readCertificates(file).get(0);
  }

  public static PrivateKey readPrivateKey(Path file) {
    return parsePrivateKey(readText(file), file.toString());
  }

  /** The first private key in PEM text (PKCS#8 or traditional); {@code source} names the text in error messages. */
  public static PrivateKey parsePrivateKey(String pem, String source) {
    for (Object o : parseObjects(pem, source)) {
      if (o instanceof PrivateKeyInfo) {
        return toPrivateKey((PrivateKeyInfo) o, source);
      }
      if (o instanceof PEMKeyPair) {
        return toPrivateKey(((PEMKeyPair) o).getPrivateKeyInfo(), source);
      }
    }
    throw new PkiException("no private key in " + source);
  }

  public static PKCS10CertificationRequest readCsr(Path file) {
    return parseCsr(readText(file), file.toString());
  }

  /** The first certificate signing request in PEM text (e.g. a request body); {@code source} names it in refusals. */
  public static PKCS10CertificationRequest parseCsr(String pem, String source) {
    for (Object o : parseObjects(pem, source)) {
      if (o instanceof PKCS10CertificationRequest) {
        return (PKCS10CertificationRequest) o;
      }
    }
    throw new PkiException("no certificate signing request in " + source);
  }

  /** The text of a PEM file; fails naming the file when it is missing, no regular file or unreadable. */
  public static String readText(Path file) {
    if (!Files.exists(file)) {
      throw new PkiException("missing file: " + file, new java.nio.file.NoSuchFileException(file.toString()));
    }
    if (!Files.isRegularFile(file)) {
      throw new PkiException("not a regular file: " + file);
    }
    if (!Files.isReadable(file)) {
      throw new PkiException("unreadable file: " + file);
    }
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new PkiException("cannot read " + file + ": " + PkiException.describe(e), e);
    } catch (RuntimeException e) {
      throw new PkiException("corrupt PEM in " + file + " (not ASCII text)", e);
    }
  }

  private static List<Object> parseObjects(String text, String file) {
    List<Object> objects = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        objects.add(o);
      }
    } catch (IOException | RuntimeException e) {
      throw new PkiException("corrupt PEM in " + file + ": " + oneLine(e), e);
    }
    if (objects.isEmpty()) {
      throw new PkiException("corrupt PEM in " + file + ": no PEM block found");
    }
    return objects;
  }

  static X509Certificate toCertificate(X509CertificateHolder holder, Object source) {
    try {
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (CertificateException e) {
      throw new PkiException("corrupt certificate in " + source + ": " + oneLine(e), e);
    }
  }

  static PrivateKey toPrivateKey(PrivateKeyInfo info, Object source) {
    String algorithm;
    if (info.getPrivateKeyAlgorithm().getAlgorithm().equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      algorithm = "EC";
    } else if (info.getPrivateKeyAlgorithm().getAlgorithm().equals(PKCSObjectIdentifiers.rsaEncryption)) {
      algorithm = "RSA";
    } else {
      throw new PkiException("unsupported private key algorithm " + info.getPrivateKeyAlgorithm().getAlgorithm()
          + " in " + source);
    }
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (GeneralSecurityException | IOException e) {
      throw new PkiException("corrupt private key in " + source + ": " + oneLine(e), e);
    }
  }

  static String oneLine(Throwable e) {
    String m = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    return m.replaceAll("\\s+", " ").trim();
  }
}
