package dev.flotilla.server.transport;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Where a socket comes from, as far as the connection caps tell sources apart: an IPv4 address, or
 * the /64 an IPv6 address is in (one host is routinely given a whole /64, so counting its addresses
 * one by one would give it 2^64 sources). Parties behind one NAT or ingress share a source.
 */
final class SourceGroup {

  private SourceGroup() {}

  /** The group of {@code remote}; "unknown" for an address that is no IP address (in-process, tests). */
  static String of(SocketAddress remote) {
    if (!(remote instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return "unknown";
    }
    InetAddress address = inet.getAddress();
    if (address instanceof Inet4Address) {
      return address.getHostAddress();
    }
    if (address instanceof Inet6Address) {
      byte[] prefix = Arrays.copyOf(address.getAddress(), 16);
      Arrays.fill(prefix, 8, 16, (byte) 0);
      try {
        return InetAddress.getByAddress(prefix).getHostAddress() + "/64";
      } catch (UnknownHostException impossible) {
        throw new IllegalStateException(impossible); // 16 bytes are always an IPv6 address
      }
    }
    return address.getHostAddress();
  }
}
