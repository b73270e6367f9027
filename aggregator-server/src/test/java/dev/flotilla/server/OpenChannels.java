package dev.flotilla.server;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The gRPC channels a test opens, shut down after each test. Register it on an instance field:
 * {@code @RegisterExtension final OpenChannels channels = new OpenChannels();}
 */
final class OpenChannels implements AfterEachCallback {

  private final List<ManagedChannel> channels = new ArrayList<>();

  /** Keeps {@code channel} to shut it down after the test; returns it. */
  ManagedChannel add(ManagedChannel channel) {
    channels.add(channel);
    return channel;
  }

  /** A channel to the aggregator of {@code pki}'s job on 127.0.0.1:{@code port}, as its party {@code name}. */
  ManagedChannel open(TestPki pki, int port, String name) {
    return add(pki.channel(port, name));
  }

  /** The party {@code name} of {@code pki}'s job, scripted, on a channel of its own. */
  FakeParty party(TestPki pki, int port, String name) {
    return new FakeParty(open(pki, port, name), name);
  }

  /** A channel to the aggregator on 127.0.0.1:{@code port} with the party credentials in {@code credentials}. */
  ManagedChannel open(int port, Path credentials) {
    return add(TestPki.channel(port, credentials));
  }

  /** The party {@code name} with the credentials in {@code credentials}, scripted, on a channel of its own. */
  FakeParty party(int port, Path credentials, String name) {
    return new FakeParty(open(port, credentials), name);
  }

  /** Shuts down every channel opened so far and waits (5 s at most each) until their connections are closed. */
  void closeAll() {
    channels.forEach(ManagedChannel::shutdownNow);
    try {
      for (ManagedChannel channel : channels) {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    channels.clear();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    closeAll();
  }
}
