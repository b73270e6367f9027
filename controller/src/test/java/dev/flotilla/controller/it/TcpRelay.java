package dev.flotilla.controller.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on loopback to one target: what a test puts between a client and the API server so
 * that closing it takes the API server away (new connections refused, open ones cut) while the
 * API server itself keeps running. With {@code cutAnswers}, the target's bytes are dropped and their connection
 * closed whenever it says so as they arrive: an answer lost on the way, after the target acted on the request.
 */
final class TcpRelay implements AutoCloseable {

  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  private final java.util.function.BooleanSupplier cutAnswers;

  TcpRelay(InetSocketAddress target) throws IOException {
    this(target, () -> false);
  }

  TcpRelay(InetSocketAddress target, java.util.function.BooleanSupplier cutAnswers) throws IOException {
    this.target = target;
    this.cutAnswers = cutAnswers;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::acceptLoop, "tcp-relay-accept");
    accept.setDaemon(true);
    accept.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket in = listener.accept();
        Socket out = new Socket(target.getAddress(), target.getPort());
        open.add(in);
        open.add(out);
        pump(in, out, () -> false);
        pump(out, in, cutAnswers);
      } catch (IOException e) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to, java.util.function.BooleanSupplier cut) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[16384];
      try (InputStream input = from.getInputStream(); OutputStream output = to.getOutputStream()) {
        for (int n; (n = input.read(buffer)) >= 0 && !cut.getAsBoolean(); ) {
          output.write(buffer, 0, n);
        }
      } catch (IOException ignored) {
        // either side closed: the relay of this connection ends
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "tcp-relay");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    open.forEach(TcpRelay::closeQuietly);
  }
}
