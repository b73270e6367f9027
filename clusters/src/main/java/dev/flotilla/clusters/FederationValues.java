package dev.flotilla.clusters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the program derives from the spec and the addresses GCP gives each organisation: the chart's values per
 * cluster, the DNS records, and the Federation resource's spec. Pure: the Pulumi part only wires outputs into them.
 */
public final class FederationValues {

  /** The API of the Federation resource (controller dev.flotilla.controller.api.Federation; its CRD ships in the chart). */
  public static final String FEDERATION_API_VERSION = "flotilla.dev/v1alpha1";
  public static final String FEDERATION_KIND = "Federation";
  public static final String CONTROLLER_NAMESPACE = "flotilla-system";
  public static final int DNS_TTL_SECONDS = 300;

  private FederationValues() {}

  /**
   * The Flotilla chart's values for one organisation's cluster: the controller image, the job namespace it watches,
   * its flags (the ingress address its DNS records answer, the federation domain as the only allowed one), and the
   * chart's {@code federation} values: the organisation as a member of the Federation (--federation-member, so its
   * controller turns the Federation into this cluster's records), on the coordinator the enrollment endpoint
   * (--enroll-federation, with the chart's Service and Ingress routing {@code flotilla-enroll.server.<domain>} to it),
   * on a party {@code --join} (its controller enrolls once a person puts the coordinator's token into a join Secret:
   * the token is made after the clusters exist, so the program declares none); the chart adds the Roles each needs.
   */
  public static Map<String, Object> chartValues(FederationSpec spec, Organisation org, String ingressAddress) {
    List<String> args = new ArrayList<>();
    args.add("--ingress-address=" + ingressAddress);
    args.add("--allowed-domain=" + spec.domain());
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("image", Map.of("repository", spec.controllerImage(), "tag", spec.controllerTag()));
    values.put("watch", Map.of("allNamespaces", false, "namespaces", List.of(spec.jobNamespace())));
    values.put("federation", Map.of("member", org.name(),
        "enroll", org.coordinator() ? spec.jobNamespace() + "/" + spec.domain() : "", "join", !org.coordinator()));
    values.put("extraArgs", args);
    return values;
  }

  /**
   * The DNS name (absolute, with its dot) that sends an organisation's hosts to its ingress: the coordinator's
   * {@code *.server.<domain>.} (every aggregator and the enrollment endpoint), a party's {@code *.<name>.party.<domain>.}.
   */
  public static String dnsName(FederationSpec spec, Organisation org) {
    return (org.coordinator() ? "*.server." : "*." + org.name() + ".party.") + spec.domain() + ".";
  }

  /**
   * The Federation resource's spec, the same in every cluster: the domain, and each member with its role and the
   * public address of its ingress, in the spec's order (the fields of the Federation CRD in the making: name, role,
   * address; trustBundle is the members' to add). {@code addresses}: organisation name to ingress address.
   */
  public static Map<String, Object> federationSpec(FederationSpec spec, Map<String, String> addresses) {
    List<Map<String, Object>> members = new ArrayList<>();
    for (Organisation org : spec.organisations()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", org.name());
      m.put("role", org.role().wireName());
      m.put("address", addresses.get(org.name()));
      members.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("domain", spec.domain());
    out.put("members", members);
    return out;
  }
}
