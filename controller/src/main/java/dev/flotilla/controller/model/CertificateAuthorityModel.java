package dev.flotilla.controller.model;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the CAs live. One CA per job namespace and domain (so a job in another namespace never
 * holds a certificate this namespace's jobs trust), kept with its private key in a Secret in the
 * controller's own namespace: {@code flotilla-ca.<job namespace>.<domain>}. A namespace name is one
 * DNS label, so the name cannot be read two ways. Job namespaces never see the key; their pods get
 * the CA certificate as {@code ca.crt} beside their own certificate.
 *
 * <p>Earlier releases kept the CA in the job's namespace ({@code flotilla-ca-<domain with dashes>},
 * annotated with the domain). Such a Secret is adopted: copied to the controller's namespace with
 * the same key and certificate, so existing parties keep trusting it, then deleted where it was.
 */
public final class CertificateAuthorityModel {

  public static final String LEGACY_PREFIX = "flotilla-ca-";
  public static final String PREFIX = "flotilla-ca.";
  /** On each CA Secret: the job namespace it serves (a label, so one namespace's CAs are listed by selector). */
  public static final String NAMESPACE_LABEL = "flotilla.dev/ca-for-namespace";
  public static final String ADOPTED_FROM_ANNOTATION = "flotilla.dev/adopted-from";

  private CertificateAuthorityModel() {}

  /** {@code flotilla-ca.<jobNamespace>.<domain>}; refuses a domain that makes it longer than a Secret name may be. */
  public static String secretName(String jobNamespace, String domain) {
    String name = PREFIX + jobNamespace + "." + domain;
    if (name.length() > 253) {
      throw new IllegalArgumentException("domain " + domain + " is too long for the CA Secret " + name.substring(0, 40)
          + "... (Secret names have at most 253 characters)");
    }
    return name;
  }

  /** The CA Secret, in the controller's namespace. It belongs to no job: later jobs are issued by the same CA. */
  public static Secret secret(String controllerNamespace, String jobNamespace, String domain, String caPem, String caKeyPem) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER);
    labels.put(NAMESPACE_LABEL, jobNamespace);
    Map<String, String> data = new LinkedHashMap<>();
    data.put(CertificateModel.CA_CRT, CertificateModel.encode(caPem));
    data.put(CertificateModel.CA_KEY, CertificateModel.encode(caKeyPem));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(secretName(jobNamespace, domain))
        .withNamespace(controllerNamespace)
        .withLabels(labels)
        .withAnnotations(Map.of(CertificateModel.DOMAIN_ANNOTATION, domain))
        .endMetadata()
        .withType("Opaque")
        .withData(data)
        .build();
  }

  /** True for a CA Secret of the earlier layout: in a job namespace, labelled by the controller, with its key and domain. */
  public static boolean isLegacy(Secret s) {
    Map<String, String> labels = s.getMetadata().getLabels() == null ? Map.of() : s.getMetadata().getLabels();
    Map<String, String> annotations = s.getMetadata().getAnnotations() == null ? Map.of() : s.getMetadata().getAnnotations();
    return s.getMetadata().getName().startsWith(LEGACY_PREFIX)
        && JobModel.FIELD_MANAGER.equals(labels.get(JobModel.LABEL_MANAGED_BY))
        && annotations.get(CertificateModel.DOMAIN_ANNOTATION) != null
        && s.getData() != null && s.getData().get(CertificateModel.CA_CRT) != null && s.getData().get(CertificateModel.CA_KEY) != null;
  }

  /** The controller-namespace Secret that takes over a legacy one: same certificate and key, noting where it came from. */
  public static Secret adopted(Secret legacy, String controllerNamespace) {
    String jobNamespace = legacy.getMetadata().getNamespace();
    String domain = legacy.getMetadata().getAnnotations().get(CertificateModel.DOMAIN_ANNOTATION);
    Secret adopted = secret(controllerNamespace, jobNamespace, domain,
        CertificateModel.decode(legacy.getData().get(CertificateModel.CA_CRT)),
        CertificateModel.decode(legacy.getData().get(CertificateModel.CA_KEY)));
    Map<String, String> annotations = new LinkedHashMap<>(adopted.getMetadata().getAnnotations());
    annotations.put(ADOPTED_FROM_ANNOTATION, jobNamespace + "/" + legacy.getMetadata().getName());
    adopted.getMetadata().setAnnotations(annotations);
    return adopted;
  }
}
