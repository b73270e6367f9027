package dev.flotilla.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ConnectionsTest {

  /** A socket just accepted: not registered with an event loop yet, as the server channel hands it on. */
  private static EmbeddedChannel accepted(String ip, int port) {
    SocketAddress remote = new InetSocketAddress(ip, port);
    return new EmbeddedChannel(DefaultChannelId.newInstance(), false, false) {
      @Override
      protected SocketAddress remoteAddress0() {
        return remote;
      }
    };
  }

  @Test
  @DisplayName("a socket the gate closes before it is registered leaves no open connection behind: it is closed, "
      + "with its close listeners, as it is registered")
  void aSocketEvictedBeforeItsRegistrationIsNotLeaked() throws Exception {
    ConnectionGate gate = new ConnectionGate("job", "gRPC",
        new ConnectionGate.Limits(10, 0, 1, Duration.ofSeconds(5), 0, 100));
    Connections connections = Connections.none("job").gate(gate, IdentityCaps.none());
    EmbeddedChannel listener = new EmbeddedChannel(connections.acceptor());
    EmbeddedChannel first = accepted("10.0.0.1", 1);
    EmbeddedChannel second = accepted("10.0.0.2", 1);
    listener.writeInbound(first);
    listener.writeInbound(second); // one unfinished handshake at most: the first is evicted, still unregistered

    Throwable registering = catchThrowable(first::register); // the event loop takes it on, as the acceptor does
    second.register();
    assertThat(first.isOpen()).as("the evicted socket (registering: " + registering + ")").isFalse();
    assertThat(second.isOpen()).isTrue();
    assertThat(gate.open()).isEqualTo(1);

    second.close();
    assertThat(connections.size()).as("open connections once every socket closed").isZero();
    assertThat(gate.open()).isZero();
    assertThat(first.closeFuture().isDone()).as("the evicted socket's close listeners ran").isTrue();
  }
}
