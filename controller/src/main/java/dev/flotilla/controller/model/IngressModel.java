package dev.flotilla.controller.model;

import dev.flotilla.controller.api.TlsMode;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLSBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The job's Ingress for ingress-nginx. Passthrough: nginx routes the TLS connection by SNI and
 * never decrypts it (a job with a bulk-upload port has a second rule, its name to that port). Terminate: nginx ends TLS with the job's certificate and speaks gRPC to
 * the pod, with body size and timeouts sized for 256 MiB models and rounds that last an hour.
 *
 * <p>Terminate mode for a Flotilla runtime image: nginx verifies the party's client certificate
 * against the job's CA ({@code auth-tls-secret}: the job's TLS Secret, which carries ca.crt), passes
 * it to the aggregator in the {@code ssl-client-cert} header, and speaks gRPC over mutual TLS to
 * the pod ({@code GRPCS}, with the {@link #PROXY_IDENTITY} client certificate of
 * {@link JobModel#ingressClientSecretName()}), so the aggregator started with
 * {@code --trusted-proxy ingress-nginx} sees each party's identity. iflearner images keep
 * iflearner-operator's behaviour: plaintext gRPC to the pod and no client-certificate check at the
 * ingress (their parties present none).
 */
public final class IngressModel {

  public static final String INGRESS_CLASS = "nginx";
  /** The identity of ingress-nginx's client certificate; Flotilla aggregators trust it as a proxy. */
  public static final String PROXY_IDENTITY = "ingress-nginx";

  /** Twice the largest model (256 MiB) to leave room for gRPC framing and metadata. */
  public static final String BODY_SIZE = "512m";
  /** Seconds; ingress-nginx applies them as grpc_read_timeout / grpc_send_timeout on gRPC backends. */
  public static final String STREAM_TIMEOUT_SECONDS = "3600";
  public static final String CONNECT_TIMEOUT_SECONDS = "30";

  private IngressModel() {}

  /** The Ingress, or null when the job has no host. */
  public static Ingress desired(JobModel job) {
    if (!job.hasHost()) {
      return null;
    }
    Map<String, String> annotations = new LinkedHashMap<>();
    IngressBuilder builder = new IngressBuilder();
    if (job.tlsMode() == TlsMode.PASSTHROUGH) {
      annotations.put(NginxAnnotations.SSL_PASSTHROUGH, "true");
    } else {
      if (IngressClientModel.required(job)) {
        String namespace = job.namespace();
        annotations.put(NginxAnnotations.BACKEND_PROTOCOL, "GRPCS");
        annotations.put(NginxAnnotations.AUTH_TLS_SECRET, namespace + "/" + job.tlsSecretName());
        annotations.put(NginxAnnotations.AUTH_TLS_VERIFY_CLIENT, "on");
        annotations.put(NginxAnnotations.AUTH_TLS_PASS_CERTIFICATE, "true");
        annotations.put(NginxAnnotations.PROXY_SSL_SECRET, namespace + "/" + job.ingressClientSecretName());
        annotations.put(NginxAnnotations.PROXY_SSL_VERIFY, "on");
        annotations.put(NginxAnnotations.PROXY_SSL_NAME, job.host());
        annotations.put(NginxAnnotations.PROXY_SSL_SERVER_NAME, "on");
      } else {
        annotations.put(NginxAnnotations.BACKEND_PROTOCOL, "GRPC");
      }
      annotations.put(NginxAnnotations.SSL_REDIRECT, "true");
      annotations.put(NginxAnnotations.PROXY_BODY_SIZE, BODY_SIZE);
      annotations.put(NginxAnnotations.PROXY_READ_TIMEOUT, STREAM_TIMEOUT_SECONDS);
      annotations.put(NginxAnnotations.PROXY_SEND_TIMEOUT, STREAM_TIMEOUT_SECONDS);
      annotations.put(NginxAnnotations.PROXY_CONNECT_TIMEOUT, CONNECT_TIMEOUT_SECONDS);
    }
    builder.withNewMetadata()
        .withName(job.ingressName())
        .withNamespace(job.namespace())
        .withLabels(job.labels())
        .withAnnotations(annotations)
        .withOwnerReferences(job.ownerReference())
        .endMetadata()
        .withNewSpec()
        .withIngressClassName(INGRESS_CLASS)
        .withRules(rules(job))
        .endSpec();
    if (job.tlsMode() == TlsMode.TERMINATE) {
      builder.editSpec()
          .withTls(List.of(new IngressTLSBuilder().withHosts(job.host()).withSecretName(job.tlsSecretName()).build()))
          .endSpec();
    }
    return builder.build();
  }

  /**
   * The host to the gRPC port; in passthrough mode also the bulk-upload port's name to that port
   * (its bytes are no gRPC, so only a route that leaves TLS to the pod can carry them).
   */
  private static List<IngressRule> rules(JobModel job) {
    List<IngressRule> rules = new ArrayList<>();
    rules.add(rule(job.host(), job.serviceName(), PeerModel.routedPort(job)));
    if (job.bulkHost() != null && job.tlsMode() == TlsMode.PASSTHROUGH) {
      rules.add(rule(job.bulkHost(), job.serviceName(), job.bulkPort()));
    }
    return rules;
  }

  private static IngressRule rule(String host, String service, int port) {
    return new IngressRuleBuilder()
        .withHost(host)
        .withNewHttp()
        .addNewPath()
        .withPath("/")
        .withPathType("Prefix")
        .withNewBackend()
        .withNewService()
        .withName(service)
        .withNewPort()
        .withNumber(port)
        .endPort()
        .endService()
        .endBackend()
        .endPath()
        .endHttp()
        .build();
  }
}
