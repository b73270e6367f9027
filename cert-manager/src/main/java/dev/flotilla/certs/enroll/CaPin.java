package dev.flotilla.certs.enroll;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A CA pinned by the SHA-256 of its SubjectPublicKeyInfo, {@code sha256:<64 hex>}: the form and the
 * meaning of kubeadm's {@code --discovery-token-ca-cert-hash}, so {@code openssl x509 -pubkey | openssl
 * pkey -pubin -outform der | sha256sum} computes the same value. A party that has no CA yet trusts the
 * enrollment endpoint only when its chain holds the CA with this key.
 */
public record CaPin(String sha256Hex) {
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
  public static final String PREFIX = "sha256:";

  public CaPin {
    if (sha256Hex == null || !HEX.matcher(sha256Hex).matches()) {
      throw new IllegalArgumentException("a CA pin is sha256: followed by 64 lower-case hex digits");
    }
  }

  public static CaPin of(X509Certificate ca) {
    try {
      return new CaPin(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ca.getPublicKey().getEncoded())));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK offers no SHA-256", e);
    }
  }

  public static CaPin parse(String text) {
    if (text == null || !text.startsWith(PREFIX)) {
      throw new IllegalArgumentException("a CA pin starts with sha256:");
    }
    return new CaPin(text.substring(PREFIX.length()).toLowerCase(Locale.ROOT));
  }

  public boolean matches(X509Certificate certificate) {
    return equals(of(certificate));
  }

  @Override
  public String toString() {
    return PREFIX + sha256Hex;
  }
}
