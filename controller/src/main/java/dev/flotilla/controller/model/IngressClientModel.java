package dev.flotilla.controller.model;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.protocol.options.ServerOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The client certificate ingress-nginx presents to a Flotilla runtime when it terminates TLS
 * ({@code proxy-ssl-secret} of the job's Ingress), and the aggregator's trust in it. One Secret per
 * namespace and domain ({@link JobModel#ingressClientSecretName()}), like the CA that issues it:
 * {@code tls.crt} with the single identity {@code spiffe://<domain>/ingress/ingress-nginx} and
 * clientAuth only (no DNS names: it never serves), {@code tls.key}, and {@code ca.crt}, which
 * ingress-nginx uses to verify the pod ({@code proxy-ssl-verify}). It belongs to no job, so every
 * terminate-mode job of the namespace and domain shares it.
 */
public final class IngressClientModel {

  public static final String CLIENT_AUTH_OID = "1.3.6.1.5.5.7.3.2";
  public static final Duration LIFETIME = Duration.ofDays(JobModel.DEFAULT_VALIDITY_DAYS);

  private IngressClientModel() {}

  /** True when the job's Ingress has nginx forward client certificates over mutual TLS (and so names this Secret). */
  public static boolean required(JobModel job) {
    return job.hasHost() && job.tlsMode() == TlsMode.TERMINATE && job.usesFlotillaRuntime();
  }

  /** {@code spiffe://<domain>/ingress/ingress-nginx}. */
  public static Identity identity(String domain) {
    return Identity.ingress(domain, IngressModel.PROXY_IDENTITY);
  }

  public static String identityUri(String domain) {
    return identity(domain).uri();
  }

  /** The ingress role: clientAuth only, the ingress identity as its one URI SAN, no DNS names. */
  public static LeafRequest leafRequest(JobModel job) {
    return LeafRequest.builder(identity(job.domain()))
        .lifetime(LIFETIME)
        .keyType(CertificateModel.KEY_TYPE)
        .build();
  }

  public static Secret secret(JobModel job, String certificateChainPem, String privateKeyPem, String caPem) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(CertificateModel.TLS_CRT, CertificateModel.encode(certificateChainPem));
    data.put(CertificateModel.TLS_KEY, CertificateModel.encode(privateKeyPem));
    data.put(CertificateModel.CA_CRT, CertificateModel.encode(caPem));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(job.ingressClientSecretName())
        .withNamespace(job.namespace())
        .withLabels(Map.of(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER))
        .withAnnotations(Map.of(CertificateModel.DOMAIN_ANNOTATION, job.domain()))
        .endMetadata()
        .withType("kubernetes.io/tls")
        .withData(data)
        .build();
  }

  /**
   * Why the Secret must be (re)issued, or empty when it is right: present, parseable, signed by
   * the CA of the job's namespace and domain, exactly the ingress identity and no DNS name,
   * clientAuth only, carrying that CA as ca.crt, and more than a third of its life left.
   */
  public static Optional<String> reissueReason(JobModel job, Secret existing, X509Certificate ca, String caPem, Instant now) {
    String caName = "the CA of namespace " + job.namespace() + " and domain " + job.domain();
    Optional<String> leaf = CertificateModel.leafReissueReason(existing, ca, caName, identity(job.domain()), List.of(), now);
    if (leaf.isPresent()) {
      return leaf;
    }
    X509Certificate certificate = CertificateModel.parse(CertificateModel.decode(existing.getData().get(CertificateModel.TLS_CRT))).get(0);
    try {
      if (!List.of(CLIENT_AUTH_OID).equals(certificate.getExtendedKeyUsage())) {
        return Optional.of("its key usages are not clientAuth only");
      }
    } catch (CertificateParsingException e) {
      return Optional.of("unreadable extended key usage");
    }
    String storedCa = existing.getData().get(CertificateModel.CA_CRT);
    if (storedCa == null || !CertificateModel.decode(storedCa).equals(caPem)) {
      return Optional.of("ca.crt is not " + caName);
    }
    return Optional.empty();
  }


  /**
   * A Flotilla aggregator behind a terminating ingress trusts ingress-nginx to forward its parties'
   * certificates: {@code --trusted-proxy=ingress-nginx} is appended to the first container's args,
   * unless the template already names its trusted proxies.
   */
  public static void trustIngress(JobModel job, PodSpec spec) {
    if (!required(job) || job.role() != Role.SERVER) {
      return;
    }
    Container runtime = spec.getContainers().get(0);
    List<String> args = new ArrayList<>(runtime.getArgs() == null ? List.of() : runtime.getArgs());
    List<String> argsAndCommand = Stream.concat(args.stream(),
        runtime.getCommand() == null ? Stream.empty() : runtime.getCommand().stream()).toList();
    if (!ServerOptions.TRUSTED_PROXY.isIn(argsAndCommand)) {
      args.add(ServerOptions.TRUSTED_PROXY.assignment(IngressModel.PROXY_IDENTITY));
      runtime.setArgs(args);
    }
  }
}
