package dev.flotilla.demo.ingress;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobSpec;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.api.TlsSpec;
import dev.flotilla.controller.model.IngressModel;
import dev.flotilla.controller.model.JobModel;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;

/**
 * The Ingress the controller makes for an aggregator job: an {@code IflearnerJob} with
 * {@code role: server}, {@code host: <job>.server.<domain>} and a Flotilla runtime image, handed to
 * the controller's own builder ({@link IngressModel#desired(JobModel)}), so what nginx is
 * configured from is exactly what the controller would apply.
 */
public final class ServerIngress {

  public static final String NAMESPACE = "flotilla";
  public static final String RUNTIME_IMAGE = "ghcr.io/flotilla/flotilla-runtime:0.1.0";

  private ServerIngress() {}

  /** The job object as the API server would hold it (namespace {@value #NAMESPACE}, a uid). */
  public static IflearnerJob job(String jobId, String domain, TlsMode mode, int grpcPort) {
    IflearnerJobSpec spec = new IflearnerJobSpec();
    spec.setRole(Role.SERVER);
    spec.setHost(jobId + ".server." + domain);
    spec.setDomain(domain);
    spec.setTls(new TlsSpec(mode));
    spec.setPort(grpcPort);
    spec.setTemplate(new PodTemplateSpecBuilder().withNewSpec()
        .addToContainers(new ContainerBuilder().withName("aggregator").withImage(RUNTIME_IMAGE).build())
        .endSpec().build());
    IflearnerJob job = new IflearnerJob();
    job.setMetadata(new ObjectMetaBuilder().withName(jobId).withNamespace(NAMESPACE).withUid("uid-" + jobId).build());
    job.setSpec(spec);
    return job;
  }

  /** The controller's Ingress for that job. */
  public static Ingress forJob(String jobId, String domain, TlsMode mode, int grpcPort) {
    return IngressModel.desired(new JobModel(job(jobId, domain, mode, grpcPort)));
  }

  /**
   * {@code namespace/name} of the Secret with ingress-nginx's own client certificate, which the
   * controller's terminate Ingress names in {@code proxy-ssl-secret} (GRPCS to a Flotilla aggregator).
   */
  public static String ingressClientSecret(String domain) {
    return NAMESPACE + "/" + new JobModel(job("job", domain, TlsMode.TERMINATE, 1)).ingressClientSecretName();
  }

  /** The name of the job's TLS secret in the Ingress ({@code spec.tls[0].secretName}). */
  public static String tlsSecretName(String jobId) {
    return new JobModel(job(jobId, "example.org", TlsMode.TERMINATE, 1)).tlsSecretName();
  }
}
