package dev.flotilla.protocol.secagg;

import java.math.BigInteger;
import java.security.SecureRandom;

/**
 * Shamir t-of-k secret sharing of 32-byte secrets over GF(2^521 - 1), a Mersenne prime above every
 * 32-byte value. The share of the party with roster index j is the polynomial at x = j + 1.
 */
final class Shamir {
    static final BigInteger PRIME = BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE);
    /** Bytes of a share value on the wire (unsigned big-endian, at most this long). */
    static final int SHARE_BYTES = 66;
    static final int SECRET_BYTES = 32;

    private Shamir() {
    }

    /** The shares of {@code secret} at x = party + 1 for each of {@code parties}; any {@code threshold} of them recover it. */
    static BigInteger[] split(byte[] secret, int threshold, int[] parties, SecureRandom random) {
        if (secret.length != SECRET_BYTES) {
            throw new IllegalArgumentException("secrets are " + SECRET_BYTES + " bytes");
        }
        BigInteger[] coefficients = new BigInteger[threshold];
        coefficients[0] = new BigInteger(1, secret);
        for (int i = 1; i < threshold; i++) {
            coefficients[i] = new BigInteger(521, random).mod(PRIME);
        }
        BigInteger[] shares = new BigInteger[parties.length];
        for (int s = 0; s < parties.length; s++) {
            BigInteger x = BigInteger.valueOf(parties[s] + 1L);
            BigInteger y = BigInteger.ZERO;
            for (int i = threshold - 1; i >= 0; i--) {
                y = y.multiply(x).add(coefficients[i]).mod(PRIME);
            }
            shares[s] = y;
        }
        return shares;
    }

    /** The secret from shares held by distinct {@code parties} (Lagrange interpolation at 0). */
    static byte[] combine(int[] parties, BigInteger[] shares) {
        BigInteger secret = BigInteger.ZERO;
        for (int i = 0; i < parties.length; i++) {
            BigInteger xi = BigInteger.valueOf(parties[i] + 1L);
            BigInteger numerator = BigInteger.ONE;
            BigInteger denominator = BigInteger.ONE;
            for (int j = 0; j < parties.length; j++) {
                if (j != i) {
                    BigInteger xj = BigInteger.valueOf(parties[j] + 1L);
                    numerator = numerator.multiply(xj).mod(PRIME);
                    denominator = denominator.multiply(xj.subtract(xi)).mod(PRIME);
                }
            }
            secret = secret.add(shares[i].multiply(numerator).multiply(denominator.modInverse(PRIME))).mod(PRIME);
        }
        if (secret.bitLength() > SECRET_BYTES * 8) {
            throw new SecAggException("the shares do not agree: they interpolate to a value longer than "
                    + SECRET_BYTES + " bytes");
        }
        return fixedLength(secret, SECRET_BYTES);
    }

    static byte[] toBytes(BigInteger share) {
        return fixedLength(share, SHARE_BYTES);
    }

    /** A share value from the wire: at most 66 bytes, below the prime. */
    static BigInteger fromBytes(byte[] value, String what) {
        if (value.length == 0 || value.length > SHARE_BYTES) {
            throw new SecAggException(what + " is " + value.length + " bytes; a share is 1 to " + SHARE_BYTES + " bytes");
        }
        BigInteger share = new BigInteger(1, value);
        if (share.compareTo(PRIME) >= 0) {
            throw new SecAggException(what + " is not below the field prime 2^521 - 1");
        }
        return share;
    }

    private static byte[] fixedLength(BigInteger value, int length) {
        byte[] raw = value.toByteArray();
        byte[] out = new byte[length];
        int copy = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - copy, out, length - copy, copy);
        return out;
    }
}
