package dev.flotilla.protocol.tls;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Signatures and certificate paths checked in Java outside the TLS stack (SecAgg+ round-key bindings, forwarded
 * client certificates) go through Bouncy Castle's provider object, never registered globally: the JDK 17
 * SunEC provider does P-256 in generic pure-Java field arithmetic, about 5x slower (1.17 ms against 0.23 ms a
 * verification here), and a SecAgg+ party checks two signatures for each of its neighbours every round.
 */
public final class FastSignatures {
  private static final Provider PROVIDER = new BouncyCastleProvider();

  private FastSignatures() {
  }

  /** A {@link Signature} of {@code algorithm} (e.g. SHA256withECDSA, Ed25519, SHA256withRSA). */
  public static Signature signature(String algorithm) throws GeneralSecurityException {
    return Signature.getInstance(algorithm, PROVIDER);
  }

  /**
   * Bouncy Castle's PKIX validator. It checks each certificate's signature through the certificate's own
   * {@code verify}, which for the JDK's certificate objects may still be SunEC: the speed-up is the bindings'.
   */
  static CertPathValidator pkixValidator() throws GeneralSecurityException {
    return CertPathValidator.getInstance("PKIX", PROVIDER);
  }
}
