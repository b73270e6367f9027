package dev.flotilla.protocol.tls;

import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.security.SecureRandom;

/**
 * TLS 1.3 session resumption (session tickets) for servers that the same clients re-dial, and the bounds of
 * every session cache. A resumed handshake skips the certificate chain checks and the signatures of a full
 * one, and carries the certificates verified in that full handshake. Netty turns tickets off unless ticket
 * keys are set; the keys here are made at random by each server context and live only in its memory, so a
 * ticket resumes only into the server process that issued it.
 */
public final class TlsSessionResumption {
  /**
   * How long a session may be resumed after its full handshake: it never outlives this, whatever rotates. A resumed
   * handshake does not check the certificate again, so this is also how long a certificate that expired, or whose
   * CA left the trust bundle, can go on resuming: ten minutes, several rounds of a federation.
   */
  public static final long SESSION_SECONDS = 600;
  /** Sessions a context keeps at most (a party's peers, with room to spare; the default is unbounded). */
  public static final long MAX_SESSIONS = 1024;

  private static final SecureRandom RANDOM = new SecureRandom();

  private TlsSessionResumption() {}

  /** Bounds the session cache of {@code builder}: {@link #MAX_SESSIONS} sessions, {@link #SESSION_SECONDS} each. */
  static SslContextBuilder bounded(SslContextBuilder builder) {
    return builder.sessionCacheSize(MAX_SESSIONS).sessionTimeout(SESSION_SECONDS);
  }

  /** Turns session tickets on for the server context {@code server}, under keys made now at random. */
  static SslContext withTickets(SslContext server) {
    if (!(server.sessionContext() instanceof OpenSslSessionContext sessions)) {
      throw new IllegalStateException("session tickets need BoringSSL's session context, not "
          + server.sessionContext().getClass().getName());
    }
    sessions.setTicketKeys(new OpenSslSessionTicketKey(random(OpenSslSessionTicketKey.NAME_SIZE),
        random(OpenSslSessionTicketKey.HMAC_KEY_SIZE), random(OpenSslSessionTicketKey.AES_KEY_SIZE)));
    return server;
  }

  /** Handshakes that {@code server} (a context of {@link #withTickets}) resumed from one of its tickets so far. */
  public static long resumedByTicket(SslContext server) {
    return ((OpenSslSessionContext) server.sessionContext()).stats().ticketKeyResume();
  }

  private static byte[] random(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return b;
  }
}
