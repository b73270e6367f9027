package dev.flotilla.protocol.tls;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.Signature;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The signatures of SecAgg+ round-key bindings are made and checked with Bouncy Castle's provider object, never
 * registered globally: the JDK 17 SunEC provider does P-256 in generic pure-Java field arithmetic, about 5x slower
 * (1.17 ms against 0.23 ms a verification here), and a party checks a binding of each neighbour every round.
 * Certificate paths stay with the JDK's PKIX validator and its algorithm constraints ({@link TrustedChains}).
 */
public final class FastSignatures {
  private static final Provider PROVIDER = new BouncyCastleProvider();

  private FastSignatures() {
  }

  /** A {@link Signature} of {@code algorithm} (e.g. SHA256withECDSA, Ed25519, SHA256withRSA). */
  public static Signature signature(String algorithm) throws GeneralSecurityException {
    return Signature.getInstance(algorithm, PROVIDER);
  }
}
