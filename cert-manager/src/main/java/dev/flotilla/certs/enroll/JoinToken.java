package dev.flotilla.certs.enroll;

/**
 * What a party is given to join a federation, in one string: the enrollment token and the pin of the
 * CA that must sign the enrollment endpoint, {@code <id>.<secret>:sha256:<hex>} (kubeadm's
 * {@code --token} and {@code --discovery-token-ca-cert-hash} together). Without the pin a party could
 * hand its token to whoever answers first at the enrollment address.
 */
public record JoinToken(EnrollmentToken token, CaPin pin) {
  public static final int MAX_LENGTH = 23 + 1 + 7 + 64;

  public static JoinToken parse(String text) {
    if (text == null || text.length() != MAX_LENGTH || text.charAt(23) != ':') {
      throw new IllegalArgumentException("a join token has the form <id>.<secret>:sha256:<64 hex> (what 'controller "
          + "enroll token create' prints)");
    }
    return new JoinToken(EnrollmentToken.parse(text.substring(0, 23)), CaPin.parse(text.substring(24)));
  }

  public String value() {
    return token.value() + ":" + pin;
  }

  @Override
  public String toString() {
    return token + ":" + pin;
  }
}
