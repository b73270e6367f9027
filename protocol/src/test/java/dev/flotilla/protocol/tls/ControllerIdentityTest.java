package dev.flotilla.protocol.tls;

import static dev.flotilla.protocol.tls.TlsFixtures.stop;
import static dev.flotilla.protocol.tls.TlsFixtures.whoAmI;
import static dev.flotilla.protocol.tls.TlsFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregator's observer service over real mutual TLS: only a controller identity of the trust
 * domain, connected directly, gets in; the controller's channel is built from credentials held in
 * memory and checks it reached the aggregator of the job it asked for.
 */
@DisplayName("ControllerIdentityInterceptor: the job's progress is for the controller of the trust domain only")
class ControllerIdentityTest {
  private static CertificateAuthority ca;

  @TempDir Path tmp;
  private Server server;
  private ManagedChannel channel;

  @BeforeAll
  static void createCa() {
    ca = JobPki.newAuthority("Flotilla Test CA", Duration.ofDays(30));
  }

  @BeforeEach
  void startServer() throws Exception {
    TlsFiles serverFiles = write(TlsFixtures.serverCertificate(ca), tmp.resolve("server"));
    server = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), serverFiles)
        .addService(TlsFixtures.identityService(ControllerIdentityInterceptor.controllersOf(TlsFixtures.SERVER)))
        .build()
        .start();
  }

  @AfterEach
  void stopAll() throws Exception {
    stop(channel);
    stop(server);
  }

  /** A channel as {@code identity} from in-memory credentials, expecting the aggregator of {@code job}. */
  private ManagedChannel channelAs(Identity identity, String job) {
    IssuedCertificate issued = ca.issue(LeafRequest.builder(identity).build());
    channel = NettyChannelBuilder.forTarget("127.0.0.1:" + server.getPort())
        .sslContext(MutualTlsChannels.sslContext(issued.privateKey(), issued.certificateChain(), List.of(ca.certificate()),
            ExpectedPeer.aggregatorOf(TlsFixtures.DOMAIN, job)))
        .overrideAuthority(TlsFixtures.SERVER_NAME)
        .build();
    return channel;
  }

  @Test
  @DisplayName("the controller identity of the trust domain is admitted, and the call sees it as the caller")
  void controllerAdmitted() {
    assertThat(whoAmI(channelAs(Identity.controller(TlsFixtures.DOMAIN, "flotilla-controller"), TlsFixtures.JOB)))
        .isEqualTo("flotilla-controller|controller|spiffe://example.org/controller/flotilla-controller");
  }

  @Test
  @DisplayName("a party of the job, an ingress, and a controller of another trust domain (same CA) get PERMISSION_DENIED naming them")
  void othersRefused() {
    for (Identity other : List.of(Identity.party(TlsFixtures.DOMAIN, TlsFixtures.JOB, "alice"),
        Identity.ingress(TlsFixtures.DOMAIN, "ingress-nginx"), Identity.controller("other.org", "flotilla-controller"))) {
      ManagedChannel c = channelAs(other, TlsFixtures.JOB);
      assertThatThrownBy(() -> whoAmI(c)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(e.getStatus().getDescription()).contains("peer " + other.uri() + " may not read the progress of job job1",
            "only a controller identity of example.org");
      });
      stopQuietly();
    }
  }

  @Test
  @DisplayName("a controller sending a forwarded certificate header is refused: progress is never read through a proxy")
  void forwardedRefused() {
    ManagedChannel c = channelAs(Identity.controller(TlsFixtures.DOMAIN, "flotilla-controller"), TlsFixtures.JOB);
    Metadata headers = new Metadata();
    headers.put(PeerIdentityInterceptor.FORWARDED_CERT, "x");
    assertThatThrownBy(() -> whoAmI(ClientInterceptors.intercept(c, MetadataUtils.newAttachHeadersInterceptor(headers))))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
          assertThat(e.getStatus().getDescription()).contains("never through a proxy");
        });
  }

  @Test
  @DisplayName("the controller's channel refuses an aggregator of another job than the one it asked for (handshake fails)")
  void wrongAggregatorRefused() {
    ManagedChannel c = channelAs(Identity.controller(TlsFixtures.DOMAIN, "flotilla-controller"), "job2");
    assertThatThrownBy(() -> whoAmI(c)).isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  private void stopQuietly() {
    try {
      stop(channel);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
