package dev.flotilla.dns;

/**
 * The two shapes of a federation host, iflearner's convention: an aggregator at
 * {@code <job>.server.<domain>}, a party at {@code <job>.<party>.party.<domain>}.
 */
public enum HostRole {
  SERVER("<job>.server.<domain>"),
  PARTY("<job>.<party>.party.<domain>");

  private final String shape;

  HostRole(String shape) {
    this.shape = shape;
  }

  /** The host shape of the role, as people write it in messages. */
  public String shape() {
    return shape;
  }
}
