package dev.flotilla.protocol.privacy;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard normal samples for DP noise, from a ChaCha20 keystream whose key and nonce come from
 * {@link SecureRandom}: unpredictable to anyone who sees the model (which a seeded
 * java.util.Random is not), yet fast enough for a model of millions of values (SecureRandom itself
 * reads the kernel per call). Box-Muller over 53-bit uniforms. Not thread-safe: one per round.
 *
 * <p>Known limit: floating-point noise leaks through the low bits of the noised values (Mironov
 * 2012, "On Significance of the Least Significant Bits for Differential Privacy"); the values are
 * then rounded to float32, which blurs but does not provably close that channel.
 */
public final class GaussianNoise {

  private static final int BLOCK_BYTES = 64 << 10;

  private final Cipher keystream;
  private final byte[] zeros = new byte[BLOCK_BYTES];
  private final ByteBuffer block = ByteBuffer.allocate(BLOCK_BYTES);
  private double spare = Double.NaN;

  /** A source keyed from {@code seeds} (a SecureRandom in production). */
  public GaussianNoise(SecureRandom seeds) {
    byte[] key = new byte[32];
    byte[] nonce = new byte[12];
    seeds.nextBytes(key);
    seeds.nextBytes(nonce);
    try {
      keystream = Cipher.getInstance("ChaCha20");
      keystream.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new ChaCha20ParameterSpec(nonce, 0));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no ChaCha20 (needed for DP noise)", e);
    }
    block.position(BLOCK_BYTES); // empty: refilled on first use
  }

  /** A new source keyed by a fresh {@link SecureRandom}. */
  public static GaussianNoise fresh() {
    return new GaussianNoise(new SecureRandom());
  }

  /** One sample of N(0, 1). */
  public double next() {
    if (!Double.isNaN(spare)) {
      double s = spare;
      spare = Double.NaN;
      return s;
    }
    double u1 = 1.0 - uniform(); // (0, 1]: log(u1) is finite
    double u2 = uniform();
    double r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  private double uniform() {
    if (block.remaining() < Long.BYTES) {
      refill();
    }
    return (block.getLong() >>> 11) * 0x1.0p-53;
  }

  private void refill() {
    block.clear();
    try {
      keystream.update(zeros, 0, BLOCK_BYTES, block.array(), 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20 keystream failed", e);
    }
  }
}
