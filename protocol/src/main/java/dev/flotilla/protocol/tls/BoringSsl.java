package dev.flotilla.protocol.tls;

import io.netty.handler.ssl.OpenSsl;

/**
 * The TLS provider of every Flotilla server and channel: BoringSSL from netty-tcnative. Without
 * this check, grpc-netty would fall back to the JDK's TLS in silence.
 */
public final class BoringSsl {
  private BoringSsl() {}

  /** Throws {@link IllegalStateException} saying what to do when netty-tcnative's BoringSSL cannot be loaded. */
  public static void requireAvailable() {
    if (!OpenSsl.isAvailable()) {
      Throwable cause = OpenSsl.unavailabilityCause();
      throw new IllegalStateException("BoringSSL (netty-tcnative-boringssl-static) is not available on "
          + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
          + ": put io.netty:netty-tcnative-boringssl-static with the classifier of this platform"
          + " (linux-x86_64) on the class path; cause: " + (cause == null ? "unknown" : cause), cause);
    }
    if (!OpenSsl.versionString().contains("BoringSSL")) {
      throw new IllegalStateException("netty-tcnative loaded " + OpenSsl.versionString()
          + " instead of BoringSSL: use netty-tcnative-boringssl-static, not a dynamically linked tcnative");
    }
  }

  /** The provider name reported in status and metrics: {@code BoringSSL}. */
  public static String providerName() {
    return "BoringSSL";
  }
}
