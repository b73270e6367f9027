package dev.flotilla.e2e.ingress;

import static dev.flotilla.testing.RealServer.NGINX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.IngressModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.demo.FederationPki;
import dev.flotilla.demo.ingress.NginxIngressConfig;
import dev.flotilla.demo.ingress.NginxProcess;
import dev.flotilla.demo.ingress.ServerIngress;
import dev.flotilla.protocol.bulk.BulkUploadClient;
import dev.flotilla.protocol.bulk.BulkWire;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.RoundsRequest;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.server.ServerMain;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.RequiresRealServers;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRealServers(NGINX)
@DisplayName("The bulk-upload port through nginx's SNI routing, configured from the controller's Ingress of a job with spec.bulkPort")
class BulkUploadThroughIngressIT {

  private static final String JOB = Ingresses.JOB;
  private static final String DOMAIN = FederationPki.DOMAIN;

  @TempDir Path dir;

  @Test
  @DisplayName("a party sends its update to <job>-bulk.server.<domain> at nginx's one port: nginx routes it by SNI to the "
      + "aggregator's bulk port, which accepts it (the gRPC port would have refused the ALPN)")
  void bulkUploadArrivesThroughNginx() throws Exception {
    int grpcPort = FreePorts.next();
    int bulkPort = FreePorts.next();
    IflearnerJob job = ServerIngress.job(JOB, DOMAIN, TlsMode.PASSTHROUGH, grpcPort);
    job.getSpec().setBulkPort(bulkPort);
    JobModel model = new JobModel(job);
    assertThat(model.bulkHost()).isEqualTo(JOB + "-bulk.server." + DOMAIN);

    // the aggregator's certificate carries the names the controller's would
    JobPki pki = JobPki.create(dir.resolve("pki"), DOMAIN, JOB);
    Path server = pki.issue(LeafRequest.builder(Identity.server(DOMAIN, JOB, JOB))
        .dnsNames(CertificateModel.dnsNames(model).toArray(String[]::new)), "server-with-bulk-name");
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> ServerMain.run(
        "--port", String.valueOf(grpcPort), "--bulk-port", String.valueOf(bulkPort), "--bind", "127.0.0.1",
        "--cert", server.resolve("tls.crt").toString(), "--key", server.resolve("tls.key").toString(),
        "--ca", server.resolve("ca.crt").toString(), "--allow-party", "alice", "--job-id", JOB, "--rounds", "1",
        "--min-parties", "1", "--expected-parties", "1", "--model", "mlp", "--round-timeout", "120s",
        "--final-eval-wait", "1s", "--state-dir", dir.resolve("state").toString()));

    // nginx from the controller's Ingress: two rules, each name to its own port
    int nginxPort = FreePorts.next();
    String config = NginxIngressConfig.builder(dir.resolve("nginx"), nginxPort)
        .ingress(IngressModel.desired(model))
        .backend(model.host(), "127.0.0.1:" + grpcPort)
        .backend(model.bulkHost(), "127.0.0.1:" + bulkPort)
        .build().render();
    try (NginxProcess nginx = NginxProcess.start(dir.resolve("nginx"), config, nginxPort, Duration.ofSeconds(20))) {
      Path alice = pki.party("alice");
      TlsFiles files = new TlsFiles(alice.resolve("tls.crt"), alice.resolve("tls.key"), alice.resolve("ca.crt"));
      ExpectedPeer aggregator = ExpectedPeer.aggregatorOf(pki.partyIdentity("alice"));
      ManagedChannel channel = MutualTlsChannels.forTarget("127.0.0.1:" + nginxPort, model.host(), files, aggregator)
          .build();
      try (BulkUploadClient bulk = new BulkUploadClient(MutualTlsChannels.bulkSslContext(files, aggregator))) {
        FederationGrpc.FederationBlockingStub stub = FederationGrpc.newBlockingStub(channel);
        await().atMost(Duration.ofMinutes(1)).ignoreExceptions().until(() -> stub.withDeadlineAfter(5, TimeUnit.SECONDS)
            .join(JoinRequest.newBuilder().setNumSamples(100).addCapabilities(BulkWire.CAPABILITY).build())
            .getBulkUploadPort() == bulkPort);
        Iterator<RoundEvent> rounds = stub.withDeadlineAfter(2, TimeUnit.MINUTES).rounds(RoundsRequest.getDefaultInstance());
        TrainRequest train = rounds.next().getTrain();
        assertThat(train.getUploadTicket().size()).isEqualTo(32);

        List<TensorSpec> mlp = ModelSpecs.forName("mlp");
        UpdateHeader header = UpdateHeader.newBuilder().setRound(train.getRound()).setNumSamples(100).build();
        SubmitUpdateResponse response = bulk.upload("127.0.0.1", nginxPort, model.bulkHost(), train.getUploadTicket(),
            () -> TensorChunks.updateStream(header, mlp, ModelSpecs.initialWeights("mlp", 7)), Duration.ofMinutes(1));
        assertThat(response.getValuesReceived()).isEqualTo(ModelSpecs.totalElements(mlp));
        assertThat(rounds.next().hasFinished()).isTrue();
      } finally {
        channel.shutdownNow();
      }
      // nginx writes a stream session's line when the session ends, a moment after the client closed it
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(nginx.streamAccessLog())
          .contains("sni=\"" + model.bulkHost() + "\" backend=127.0.0.1:" + bulkPort));
    }
    assertThat(exit.get(2, TimeUnit.MINUTES)).isZero();
  }
}
