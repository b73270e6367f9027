package dev.flotilla.protocol.peer;

import java.util.Locale;

/**
 * The bounds of what parties publish about their peer endpoints: a {@code HOST:PORT} address and
 * the TLS server name the endpoint answers to. The same checks run where an address is given (the
 * party's flags), where it is announced (the aggregator's Join) and where it is received (the
 * party's roster), since each of those may be the hostile side.
 */
public final class PeerAddresses {
  /** A DNS name (253), brackets around an IPv6 literal, a colon and five digits. */
  public static final int MAX_ADDRESS_CHARS = 261;
  public static final int MAX_SERVER_NAME_CHARS = 253;
  /** The most peers a round's roster lists (the aggregator sends no more, a party accepts no more). */
  public static final int MAX_ROSTER_PEERS = 10_000;

  private PeerAddresses() {}

  /**
   * @return the address, unchanged
   * @throws IllegalArgumentException saying what is wrong with it, the value cut short
   */
  public static String checkAddress(String address) {
    if (address == null || address.isEmpty()) {
      throw new IllegalArgumentException("the peer address is empty");
    }
    if (address.length() > MAX_ADDRESS_CHARS) {
      throw new IllegalArgumentException("the peer address is " + address.length() + " characters long, more than "
          + MAX_ADDRESS_CHARS);
    }
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1) {
      throw new IllegalArgumentException("the peer address '" + printable(address) + "' is not HOST:PORT");
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") != host.endsWith("]")) {
      throw new IllegalArgumentException("the peer address '" + printable(address) + "' has an unclosed IPv6 bracket");
    }
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (bare.isEmpty() || !bare.chars().allMatch(c -> c < 0x7f && (Character.isLetterOrDigit(c) || c == '.' || c == '-'
        || (host.startsWith("[") && c == ':')))) {
      throw new IllegalArgumentException("the peer address '" + printable(address) + "' has no valid host (a DNS name, "
          + "an IPv4 address or a bracketed IPv6 address)");
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = 0;
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("the peer address '" + printable(address) + "' has no valid port (1-65535)");
    }
    return address;
  }

  /**
   * @return the name, lower-cased
   * @throws IllegalArgumentException unless it is a DNS name of at most 253 characters
   */
  public static String checkServerName(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("the peer's TLS server name is empty");
    }
    if (name.length() > MAX_SERVER_NAME_CHARS) {
      throw new IllegalArgumentException("the peer's TLS server name is " + name.length() + " characters long, more "
          + "than " + MAX_SERVER_NAME_CHARS);
    }
    String lower = name.toLowerCase(Locale.ROOT);
    for (String label : lower.split("\\.", -1)) {
      if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")
          || !label.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        throw new IllegalArgumentException("the peer's TLS server name '" + printable(name) + "' is not a DNS name");
      }
    }
    return lower;
  }

  /** Hostile input goes into messages: cut short, one printable line. */
  static String printable(String value) {
    String cut = value.length() > 80 ? value.substring(0, 80) + "..." : value;
    StringBuilder out = new StringBuilder(cut.length());
    cut.codePoints().forEach(c -> out.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : "?"));
    return out.toString();
  }
}
