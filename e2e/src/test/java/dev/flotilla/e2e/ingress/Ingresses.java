package dev.flotilla.e2e.ingress;

import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.model.IngressModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.demo.FederationPki;
import dev.flotilla.demo.TlsPaths;
import dev.flotilla.demo.ingress.NginxIngressConfig;
import dev.flotilla.demo.ingress.NginxProcess;
import dev.flotilla.demo.ingress.ServerIngress;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.testing.FreePorts;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;

/** nginx in front of one job, configured from the controller's Ingress for it. */
final class Ingresses {

  static final String JOB = "job1";
  /** The identity of nginx's client certificate towards the aggregator (terminate mode). */
  static final String PROXY = IngressModel.PROXY_IDENTITY;

  private Ingresses() {}

  /** The controller's Ingress for {@code job1.server.<domain>} in {@code mode}, backed by {@code backendPort}. */
  static Ingress controllerIngress(TlsMode mode, int backendPort) {
    return ServerIngress.forJob(JOB, FederationPki.DOMAIN, mode, backendPort);
  }

  /**
   * Renders the configuration for {@code ingress} (the job's TLS secret is the server certificate of
   * {@code pki}, with the CA that auth-tls-secret verifies parties against; the ingress's own client
   * certificate is {@code pki}'s ingress certificate {@value #PROXY}; {@code secrets} adds others) and
   * starts nginx on a free loopback port.
   */
  static NginxProcess start(Path prefix, Ingress ingress, FederationPki pki, int backendPort,
      Map<String, TlsPaths> secrets) {
    int port = FreePorts.next();
    NginxIngressConfig.Builder config = NginxIngressConfig.builder(prefix, port)
        .ingress(ingress)
        .backend(pki.serverName(), "127.0.0.1:" + backendPort)
        .secret(ServerIngress.NAMESPACE + "/" + ServerIngress.tlsSecretName(JOB), pki.server())
        .secret(ServerIngress.NAMESPACE + "/" + ingressClientSecretName(), pki.ingress(PROXY));
    secrets.forEach(config::secret);
    return NginxProcess.start(prefix, config.build().render(), port, Duration.ofSeconds(20));
  }

  /** The Secret the controller's terminate Ingress names in proxy-ssl-secret. */
  static String ingressClientSecretName() {
    return new JobModel(ServerIngress.job(JOB, FederationPki.DOMAIN, TlsMode.TERMINATE, 1)).ingressClientSecretName();
  }

  static NginxProcess start(Path prefix, TlsMode mode, FederationPki pki, int backendPort,
      UnaryOperator<Ingress> adjust, Map<String, TlsPaths> secrets) {
    return start(prefix, adjust.apply(controllerIngress(mode, backendPort)), pki, backendPort, secrets);
  }

  static TlsFiles files(TlsPaths paths) {
    return new TlsFiles(paths.certificate(), paths.privateKey(), paths.trustedCa());
  }

  /** A party's channel to {@code address}, verifying the server as {@code job1.server.<domain>} (also the SNI). */
  static ManagedChannel partyChannel(String address, FederationPki pki, String party) {
    return MutualTlsChannels.forTarget(address, pki.serverName(), files(pki.party(party)),
            ExpectedPeer.aggregatorOf(pki.partyIdentity(party)))
        .maxInboundMessageSize(8 << 20)
        .build();
  }
}
