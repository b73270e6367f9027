package dev.flotilla.certs.enroll;

import dev.flotilla.certs.Identity;

/**
 * What the coordinator's enrollment endpoint is, for both ends: its host name
 * {@code flotilla-enroll.server.<domain>} (under {@code *.server.<domain>}, so the coordinator's ingress
 * routes it by SNI like the aggregators' names), its identity (a server identity of the reserved job
 * {@value #NAME}), its paths and the size bounds of what goes over them.
 */
public final class EnrollmentEndpoint {
  public static final String NAME = "flotilla-enroll";
  /** POST a PEM CSR with {@code Authorization: Bearer <id>.<secret>}. */
  public static final String ENROLL_PATH = "/v1/enroll";
  /** POST a PEM CSR over mutual TLS with the current certificate. */
  public static final String RENEW_PATH = "/v1/renew";
  /**
   * POST a PEM CSR over mutual TLS with an organisation's enrolled certificate: the identity of one of its party
   * pods, a virtual-party host {@code <organisation>-p<i>} of the same job (a job split over N pods).
   */
  public static final String HOST_PATH = "/v1/host";
  /** GET over mutual TLS with an enrolled party's certificate: the federation's members, as JSON. */
  public static final String FEDERATION_PATH = "/v1/federation";
  public static final int MAX_FEDERATION_BYTES = 1024 * 1024;
  public static final int MAX_CSR_BYTES = 16 * 1024;
  public static final int MAX_RESPONSE_BYTES = 64 * 1024;
  public static final int DEFAULT_PORT = 443;

  private EnrollmentEndpoint() {}

  public static String host(String domain) {
    return NAME + ".server." + domain;
  }

  public static Identity identity(String domain) {
    return Identity.server(domain, NAME, NAME);
  }
}
