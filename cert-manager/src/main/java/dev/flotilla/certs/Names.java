package dev.flotilla.certs;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.bouncycastle.util.IPAddress;

/** Validation of the names that go into certificates, and the domain policy check. */
final class Names {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern IDENTITY_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,62})");

  private Names() {}

  static String checkCommonName(String name) {
    if (name == null || !IDENTITY_NAME.matcher(name).matches()) {
      throw new PkiException("invalid name '" + name + "' (letters, digits, '.', '_', '-'; at most 63 characters)");
    }
    return name;
  }

  /** Lower-cases and checks a DNS name; a wildcard is allowed only as the whole leftmost label. */
  static String checkDnsName(String name) {
    if (name == null || name.isBlank()) {
      throw new PkiException("empty DNS name");
    }
    String lower = name.toLowerCase(Locale.ROOT);
    String[] labels = lower.split("\\.", -1);
    for (int i = 0; i < labels.length; i++) {
      boolean wildcard = i == 0 && labels[i].equals("*") && labels.length >= 3;
      if (!wildcard && !LABEL.matcher(labels[i]).matches()) {
        throw new PkiException("invalid DNS name '" + name + "'");
      }
    }
    if (lower.length() > 253) {
      throw new PkiException("invalid DNS name '" + name + "' (longer than 253 characters)");
    }
    return lower;
  }

  static String checkIpAddress(String ip) {
    if (ip == null || !(IPAddress.isValidIPv4(ip) || IPAddress.isValidIPv6(ip))) {
      throw new PkiException("invalid IP address '" + ip + "'");
    }
    return ip;
  }

  /** True when {@code dnsName} (wildcard or not) is {@code domain} itself or a name under it. */
  static boolean isUnder(String dnsName, String domain) {
    String name = dnsName.startsWith("*.") ? dnsName.substring(2) : dnsName;
    String d = domain.toLowerCase(Locale.ROOT);
    return name.equals(d) || name.endsWith("." + d);
  }

  /**
   * The identity domain of a certificate from its DNS names, by the convention {@code <x>.<role>.<domain>}:
   * {@code *.server.example.org} gives {@code example.org}. Without such a name, the first name minus its
   * leftmost label (when it has three or more labels), or the name itself.
   */
  static String identityDomain(Role role, List<String> dnsNames, String fallback) {
    String marker = role.pathSegment() + ".";
    for (String dns : dnsNames) {
      String name = dns.startsWith("*.") ? dns.substring(2) : dns;
      if (name.startsWith(marker) && name.length() > marker.length()) {
        return name.substring(marker.length());
      }
      int at = name.indexOf("." + marker);
      if (at >= 0 && name.length() > at + 1 + marker.length()) {
        return name.substring(at + 1 + marker.length());
      }
    }
    if (dnsNames.isEmpty()) {
      return fallback;
    }
    String first = dnsNames.get(0).startsWith("*.") ? dnsNames.get(0).substring(2) : dnsNames.get(0);
    String[] labels = first.split("\\.");
    return labels.length >= 3 ? first.substring(first.indexOf('.') + 1) : first;
  }
}
