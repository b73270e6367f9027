package dev.flotilla.certs;

import java.util.Locale;
import java.util.regex.Pattern;

/** Validation of the DNS names that go into certificates and CSRs. */
final class Names {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private Names() {}

  /** True for one lower-case DNS label: letters, digits and '-', 1 to 63 characters, no '-' at either end. */
  static boolean isLabel(String label) {
    return label != null && LABEL.matcher(label).matches();
  }

  /** Lower-cases and checks a DNS name; a wildcard is allowed only as the whole leftmost label. */
  static String checkDnsName(String name) {
    if (name == null || name.isBlank()) {
      throw new PkiException("empty DNS name");
    }
    if (name.length() > 253) {
      throw new PkiException("invalid DNS name '" + Identity.printable(name) + "' (longer than 253 characters)");
    }
    String lower = name.toLowerCase(Locale.ROOT);
    String[] labels = lower.split("\\.", -1);
    for (int i = 0; i < labels.length; i++) {
      boolean wildcard = i == 0 && labels[i].equals("*") && labels.length >= 3;
      if (!wildcard && !isLabel(labels[i])) {
        throw new PkiException("invalid DNS name '" + Identity.printable(name) + "'");
      }
    }
    return lower;
  }
}
