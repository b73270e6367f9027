package dev.flotilla.certs.enroll;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The serial numbers of revoked certificates, as the text an aggregator reads (a file, or a
 * ConfigMap key mounted as one): one lower-case hex serial per line, then optionally a space and a
 * note ({@code 3f9a... alice}), {@code #} starting a comment line. Bounded: at most
 * {@value #MAX_BYTES} bytes and {@value #MAX_ENTRIES} serials of at most 20 bytes (RFC 5280), so a
 * hostile or corrupt file costs little; anything else is refused with its line number.
 */
public final class RevokedSerials {
  public static final int MAX_BYTES = 1 << 20;
  public static final int MAX_ENTRIES = 20_000;
  private static final Pattern SERIAL = Pattern.compile("[0-9a-f]{1,40}");

  private final Map<BigInteger, String> serials;

  private RevokedSerials(Map<BigInteger, String> serials) {
    this.serials = Collections.unmodifiableMap(serials);
  }

  public static RevokedSerials none() {
    return new RevokedSerials(new LinkedHashMap<>());
  }

  public static RevokedSerials parse(String text, String source) {
    if (text.length() > MAX_BYTES) {
      throw new IllegalArgumentException(source + " holds more than " + MAX_BYTES + " bytes of revoked serials");
    }
    Map<BigInteger, String> serials = new LinkedHashMap<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int space = line.indexOf(' ');
      String serial = space < 0 ? line : line.substring(0, space);
      if (!SERIAL.matcher(serial).matches()) {
        throw new IllegalArgumentException(source + " line " + (i + 1) + ": not a lower-case hex serial of at most 20 bytes");
      }
      if (serials.size() == MAX_ENTRIES) {
        throw new IllegalArgumentException(source + " holds more than " + MAX_ENTRIES + " revoked serials");
      }
      serials.put(new BigInteger(serial, 16), space < 0 ? "" : line.substring(space + 1).strip());
    }
    return new RevokedSerials(serials);
  }

  public boolean isRevoked(X509Certificate certificate) {
    return serials.containsKey(certificate.getSerialNumber());
  }

  public boolean isRevoked(BigInteger serial) {
    return serials.containsKey(serial);
  }

  /** The note beside a revoked serial (e.g. the organisation), empty when none. */
  public String note(BigInteger serial) {
    return serials.getOrDefault(serial, "");
  }

  public int size() {
    return serials.size();
  }

  /** This list with {@code serial} added (a note replaces an earlier one). */
  public RevokedSerials with(BigInteger serial, String note) {
    if (serials.size() >= MAX_ENTRIES && !serials.containsKey(serial)) {
      throw new IllegalArgumentException("the revocation list is full (" + MAX_ENTRIES + " serials)");
    }
    Map<BigInteger, String> next = new LinkedHashMap<>(serials);
    next.put(serial, note == null ? "" : note.strip().replaceAll("\\s+", " "));
    return new RevokedSerials(next);
  }

  public static String hex(BigInteger serial) {
    return serial.toString(16);
  }

  /** The text form, in the order serials were added. */
  public String text() {
    StringBuilder out = new StringBuilder("# revoked certificate serials (hex), one per line\n");
    serials.forEach((serial, note) -> out.append(hex(serial)).append(note.isEmpty() ? "" : " " + note).append('\n'));
    return out.toString();
  }
}
