package dev.flotilla.certs;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Locale;

/** The key algorithms the PKI issues. ECDSA P-256 is the default: small, fast, and what BoringSSL prefers. */
public enum KeyType {
  EC_P256("ec", "SHA256withECDSA"),
  RSA_2048("rsa2048", "SHA256withRSA"),
  RSA_3072("rsa3072", "SHA256withRSA");

  private final String cliName;
  private final String signatureAlgorithm;

  KeyType(String cliName, String signatureAlgorithm) {
    this.cliName = cliName;
    this.signatureAlgorithm = signatureAlgorithm;
  }

  /** The name used on the command line: {@code ec}, {@code rsa2048}, {@code rsa3072}. */
  public String cliName() {
    return cliName;
  }

  /** The JCA signature algorithm a key of this type signs certificates with. */
  public String signatureAlgorithm() {
    return signatureAlgorithm;
  }

  public boolean isRsa() {
    return this != EC_P256;
  }

  public KeyPair generate() {
    try {
      if (this == EC_P256) {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
      }
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(this == RSA_2048 ? 2048 : 3072);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot generate " + this + " keys", e);
    }
  }

  /** Parses a command-line name ({@code ec}, {@code rsa2048}, {@code rsa3072}), case-insensitive. */
  public static KeyType fromCliName(String name) {
    for (KeyType type : values()) {
      if (type.cliName.equalsIgnoreCase(name) || type.name().equalsIgnoreCase(name)) {
        return type;
      }
    }
    throw new PkiException("unknown key type '" + name + "' (expected ec, rsa2048 or rsa3072)");
  }

  /** The type of an existing key, so a renewal keeps the algorithm and size. */
  public static KeyType of(PublicKey key) {
    return of((java.security.Key) key);
  }

  public static KeyType of(PrivateKey key) {
    return of((java.security.Key) key);
  }

  private static KeyType of(java.security.Key key) {
    if (key instanceof ECKey) {
      int bits = ((ECKey) key).getParams().getCurve().getField().getFieldSize();
      if (bits == 256) {
        return EC_P256;
      }
      throw new PkiException("unsupported EC key size " + bits + " (only P-256)");
    }
    if (key instanceof RSAKey) {
      int bits = ((RSAKey) key).getModulus().bitLength();
      return bits > 2048 ? RSA_3072 : RSA_2048;
    }
    throw new PkiException("unsupported key algorithm " + key.getAlgorithm().toLowerCase(Locale.ROOT));
  }
}
