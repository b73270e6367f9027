package dev.flotilla.protocol.status;

/** The reason of a DeclineRound: what the party sends, the server takes and the round record keeps. */
public final class DeclineReasons {

  /** The longest reason the server takes (a line of a log, not a party's stack trace); the party cuts to it. */
  public static final int MAX_CHARS = 500;

  private DeclineReasons() {}
}
