package dev.flotilla.certs.enroll;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A one-time enrollment token in kubeadm's bootstrap-token form, {@code <id>.<secret>}: a 6-character
 * id that names it (public, used to find it) and a 16-character secret ([a-z0-9], about 82 bits) that
 * proves possession. The coordinator stores only the secret's SHA-256 ({@link #secretSha256()}).
 */
public record EnrollmentToken(String id, String secret) {
  private static final Pattern ID = Pattern.compile("[a-z0-9]{6}");
  private static final Pattern SECRET = Pattern.compile("[a-z0-9]{16}");
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  public EnrollmentToken {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("a token id is 6 characters of a-z and 0-9");
    }
    if (secret == null || !SECRET.matcher(secret).matches()) {
      throw new IllegalArgumentException("a token secret is 16 characters of a-z and 0-9");
    }
  }

  public static EnrollmentToken generate(SecureRandom random) {
    return new EnrollmentToken(randomString(random, 6), randomString(random, 16));
  }

  /** Parses {@code <id>.<secret>}; the message never repeats the input (it may be a real secret). */
  public static EnrollmentToken parse(String text) {
    if (text == null || text.length() != 23 || text.charAt(6) != '.') {
      throw new IllegalArgumentException("an enrollment token has the form <id>.<secret>: 6 and 16 characters of a-z and 0-9");
    }
    return new EnrollmentToken(text.substring(0, 6), text.substring(7));
  }

  /** Lower-case hex SHA-256 of the secret: what the coordinator keeps instead of the secret. */
  public String secretSha256() {
    return sha256Hex(secret);
  }

  /** True when this token's secret hashes to {@code storedHash}; compared in constant time. */
  public boolean matches(String storedHash) {
    return storedHash != null && MessageDigest.isEqual(secretSha256().getBytes(StandardCharsets.US_ASCII),
        storedHash.getBytes(StandardCharsets.US_ASCII));
  }

  /** {@code <id>.<secret>}, what the coordinator hands to the party once. */
  public String value() {
    return id + "." + secret;
  }

  /** The id only: tokens end up in log lines and exception messages. */
  @Override
  public String toString() {
    return id + ".<secret>";
  }

  private static String randomString(SecureRandom random, int length) {
    char[] out = new char[length];
    for (int i = 0; i < length; i++) {
      out[i] = ALPHABET[random.nextInt(ALPHABET.length)];
    }
    return new String(out);
  }

  static String sha256Hex(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK offers no SHA-256", e);
    }
  }
}
