package dev.flotilla.controller.model;

/**
 * The address a job's DNS record answers (and its NetworkPolicy lets the pod reach): the job's
 * {@code spec.dns.ingressAddress} where the controller honours it, else the controller's
 * {@code --ingress-address}, else the address ingress-nginx published in the job's Ingress status (for a
 * job with {@code spec.route: gateway}: the first IP address in the Gateway's status).
 * A job that asked for its own address where that is not honoured keeps it in
 * {@link #refusedOverride()}, so the refusal can be reported. Pure.
 *
 * @param address the address, or null when none is known yet
 * @param source where the address came from, for messages
 * @param refusedOverride the {@code spec.dns.ingressAddress} that was not honoured, or null
 */
public record IngressAddressChoice(String address, String source, String refusedOverride) {

  public static final String FROM_SPEC = "spec.dns.ingressAddress";
  public static final String FROM_CONTROLLER = "the controller's --ingress-address";
  public static final String FROM_INGRESS_STATUS = "the Ingress status";

  public static final String FROM_GATEWAY_STATUS = "the Gateway status";

  public static IngressAddressChoice choose(JobModel job, PublishPolicy policy, String controllerAddress,
      String ingressStatusAddress) {
    return choose(job, policy, controllerAddress, ingressStatusAddress, FROM_INGRESS_STATUS);
  }

  /**
   * As above, with the route's status address named: {@link #FROM_INGRESS_STATUS} or, for a job
   * with {@code spec.route: gateway}, {@link #FROM_GATEWAY_STATUS} (the Gateway's status addresses).
   */
  public static IngressAddressChoice choose(JobModel job, PublishPolicy policy, String controllerAddress,
      String statusAddress, String statusSource) {
    String wanted = job.specIngressAddress();
    String refused = null;
    if (wanted != null) {
      if (policy.honoursIngressAddress(job.namespace())) {
        return new IngressAddressChoice(wanted, FROM_SPEC, null);
      }
      refused = wanted;
    }
    if (controllerAddress != null) {
      return new IngressAddressChoice(controllerAddress, FROM_CONTROLLER, refused);
    }
    return new IngressAddressChoice(statusAddress, statusAddress == null ? null : statusSource, refused);
  }

  /** Why the job's own address was not used, for its condition and Event; null when nothing was refused. */
  public String refusalMessage(String namespace) {
    if (refusedOverride == null) {
      return null;
    }
    return "spec.dns.ingressAddress " + refusedOverride + " is not honoured in namespace " + namespace
        + " (the controller honours it only with --allow-ingress-address-override or --ingress-address-override-namespace "
        + namespace + ")";
  }
}
