package dev.flotilla.protocol.tls;

import static dev.flotilla.protocol.tls.TlsFixtures.stop;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.JobPki;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A party's identity mounted from a Kubernetes Secret (the controller's enrolled identity): the kubelet
 * writes each version into a hidden directory and swaps the {@code ..data} link to it in one rename, and
 * the files the party names ({@code tls.crt}...) are links through {@code ..data}. A renewal of the
 * Secret must reach the running party without a restart and without breaking its connection.
 */
class SecretVolumeRenewalTest {
  @TempDir Path tmp;
  private Server server;
  private ManagedChannel existing;
  private ManagedChannel fresh;

  private final CertificateAuthority federationCa = JobPki.newAuthority("federation CA", Duration.ofDays(30));

  @AfterEach
  void stopAll() throws Exception {
    stop(existing);
    stop(fresh);
    stop(server);
  }

  @Test
  @DisplayName("a Secret volume renewed the kubelet's way (..data swapped): the next connection presents the renewed party certificate, "
      + "the connection open before keeps carrying calls")
  void renewedSecretVolumeReachesTheParty() throws Exception {
    Path serverDir = tmp.resolve("server");
    TlsFixtures.serverCertificate(federationCa).writeTo(serverDir);
    server = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), TlsFiles.inDirectory(serverDir))
        .addService(ServerInterceptors.intercept(clientSerialService(), new SessionInterceptor())).build().start();

    Path volume = tmp.resolve("etc-flotilla-tls");
    IssuedCertificate v1 = TlsFixtures.partyCertificate(federationCa, "a");
    kubeletWrite(volume, "..2026_12_05_10_00_00.1", v1);
    TlsFiles files = TlsFiles.inDirectory(volume);
    existing = TlsFixtures.channel(server.getPort(), files);
    assertThat(clientSerial(existing)).isEqualTo(v1.certificate().getSerialNumber());

    IssuedCertificate v2 = TlsFixtures.partyCertificate(federationCa, "a");
    kubeletWrite(volume, "..2026_12_05_10_05_00.2", v2);
    assertThat(Files.isSymbolicLink(files.certificateChain())).as("the path the party names never changed").isTrue();

    fresh = TlsFixtures.channel(server.getPort(), files);
    assertThat(clientSerial(fresh)).isEqualTo(v2.certificate().getSerialNumber()).isNotEqualTo(v1.certificate().getSerialNumber());
    // the connection made before the renewal (a round in progress) is not torn down
    assertThat(clientSerial(existing)).isEqualTo(v1.certificate().getSerialNumber());
  }

  /**
   * Writes {@code issued} into {@code volume} as the kubelet's atomic writer does: a new timestamped
   * directory, a {@code ..data_tmp} link to it renamed over {@code ..data}, the old directory removed,
   * and the user-visible names as links through {@code ..data} (made once).
   */
  static void kubeletWrite(Path volume, String version, IssuedCertificate issued) throws IOException {
    Files.createDirectories(volume);
    Path dir = volume.resolve(version);
    issued.writeTo(dir);
    Path data = volume.resolve("..data");
    Path previous = Files.isSymbolicLink(data) ? volume.resolve(Files.readSymbolicLink(data)) : null;
    Path tmp = volume.resolve("..data_tmp");
    Files.createSymbolicLink(tmp, Path.of(version));
    Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    for (String file : new String[] {"tls.crt", "tls.key", "ca.crt"}) {
      Path link = volume.resolve(file);
      if (!Files.isSymbolicLink(link)) {
        Files.createSymbolicLink(link, Path.of("..data", file));
      }
    }
    if (previous != null) {
      try (var old = Files.list(previous)) {
        old.forEach(f -> {
          try {
            Files.delete(f);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      }
      Files.delete(previous);
    }
  }

  private static final io.grpc.Context.Key<BigInteger> CLIENT_SERIAL = io.grpc.Context.key("client-serial");

  private static final MethodDescriptor<String, String> SERIAL = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("flotilla.test.Serial/Of")
      .setRequestMarshaller(new TlsFixtures.Utf8())
      .setResponseMarshaller(new TlsFixtures.Utf8())
      .build();

  /** Answers with the serial of the client certificate the connection was made with. */
  private static ServerServiceDefinition clientSerialService() {
    return ServerServiceDefinition.builder("flotilla.test.Serial")
        .addMethod(SERIAL, ServerCalls.asyncUnaryCall((request, response) -> {
          response.onNext(CLIENT_SERIAL.get().toString(16));
          response.onCompleted();
        }))
        .build();
  }

  private static BigInteger clientSerial(ManagedChannel channel) {
    return new BigInteger(ClientCalls.blockingUnaryCall(channel, SERIAL,
        io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "?"), 16);
  }

  /** Puts the client certificate's serial of the call's TLS session into the context. */
  private static final class SessionInterceptor implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
      BigInteger serial;
      try {
        serial = ((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber();
      } catch (SSLPeerUnverifiedException e) {
        throw new IllegalStateException(e);
      }
      return io.grpc.Contexts.interceptCall(io.grpc.Context.current().withValue(CLIENT_SERIAL, serial), call, headers, next);
    }
  }
}
