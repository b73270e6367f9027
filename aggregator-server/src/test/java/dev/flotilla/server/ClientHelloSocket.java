package dev.flotilla.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * A plain socket from a chosen loopback address that sends a real TLS ClientHello (ALPN h2, as gRPC
 * offers) and then only reads: what the server sends back is the wire's answer to whether it started
 * a handshake (a ServerHello is a handshake record, first byte 0x16) or closed the socket first.
 */
final class ClientHelloSocket implements AutoCloseable {

  /** First byte of a TLS handshake record (ServerHello). */
  static final int HANDSHAKE_RECORD = 0x16;
  /** What {@link #firstByte} returns when the server closed or reset the socket before sending a byte. */
  static final int CLOSED = -1;

  private final Socket socket = new Socket();

  ClientHelloSocket(String from, int port) throws IOException, GeneralSecurityException {
    socket.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
    socket.connect(new InetSocketAddress("127.0.0.1", port), 30_000);
    socket.getOutputStream().write(clientHello(port));
    socket.getOutputStream().flush();
  }

  /**
   * The first byte the server sent, waiting at most a minute; {@link #CLOSED} when it closed (FIN)
   * or reset the socket without sending one.
   */
  int firstByte() throws IOException {
    socket.setSoTimeout(60_000);
    InputStream in = socket.getInputStream();
    try {
      return in.read();
    } catch (SocketException reset) {
      return CLOSED;
    }
  }

  /**
   * Whether the server closes (or resets) the socket within {@code millis}, after whatever it sent
   * (a ServerHello); false when it is still open then.
   */
  boolean closedWithin(int millis) throws IOException {
    socket.setSoTimeout(millis);
    InputStream in = socket.getInputStream();
    byte[] sink = new byte[4096];
    try {
      while (in.read(sink) >= 0) {
        // what the server sent before closing
      }
      return true;
    } catch (java.net.SocketTimeoutException stillOpen) {
      return false;
    } catch (SocketException reset) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private static byte[] clientHello(int port) throws GeneralSecurityException, IOException {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, null, null);
    SSLEngine engine = context.createSSLEngine("localhost", port);
    engine.setUseClientMode(true);
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setApplicationProtocols(new String[] {"h2"});
    engine.setSSLParameters(parameters);
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.beginHandshake();
    engine.wrap(ByteBuffer.allocate(0), out);
    out.flip();
    byte[] hello = Arrays.copyOf(out.array(), out.limit());
    if (hello.length < 5 || hello[0] != HANDSHAKE_RECORD) {
      throw new IOException("not a ClientHello record: " + hello.length + " bytes");
    }
    return hello;
  }
}
