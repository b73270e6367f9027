package dev.flotilla.controller.federation;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.Pem;
import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.dns.DnsRecord;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What one member's cluster makes of a {@link Federation}, without I/O (KubeFATE's route table, derived):
 * <ul>
 *   <li>DNS records for the other members: {@code *.server.<domain>} answers the coordinator's address,
 *       {@code *.<party>.party.<domain>} each other party's. A member publishes nothing for itself: its own
 *       jobs' records come from its own jobs;</li>
 *   <li>the trust bundle, ConfigMap {@code flotilla-federation-trust.<domain>} (key {@value #CA_KEY}): every
 *       member's CA certificates, each once, in member order.</li>
 * </ul>
 * A federation that is not whole (no or two coordinators, a member named twice, an address that is no
 * IP or is missing, {@code addressFrom} on a party, a bundle that is no PEM) is refused as a whole, naming the problem: half a route table is worse than
 * the last whole one.
 */
public final class FederationRoutesModel {
  public static final String COORDINATOR = "coordinator";
  public static final String PARTY = "party";
  public static final String TRUST_PREFIX = "flotilla-federation-trust.";
  public static final String CA_KEY = "ca.crt";

  private FederationRoutesModel() {}

  /** The CoreDNS owner of one Federation's records. */
  public static String dnsOwner(Federation federation) {
    return "federation/" + federation.getMetadata().getNamespace() + "/" + federation.getMetadata().getName();
  }

  public static String trustName(String domain) {
    return TRUST_PREFIX + domain;
  }

  /** The records {@code self}'s cluster publishes; {@code self} must be a member. */
  public static SortedSet<DnsRecord> records(FederationSpec spec, String self) {
    check(spec);
    if (spec.getMembers().stream().noneMatch(m -> m.getName().equals(self))) {
      throw new IllegalArgumentException("this cluster's member " + self + " is not a member of " + spec.getDomain());
    }
    SortedSet<DnsRecord> records = new TreeSet<>();
    for (FederationSpec.Member m : spec.getMembers()) {
      if (m.getName().equals(self) || m.getAddress() == null) {
        // a coordinator whose Gateway or Ingress has not published its address yet has no record
        continue;
      }
      String host = COORDINATOR.equals(m.getRole()) ? "*.server." + spec.getDomain() : "*." + m.getName() + ".party." + spec.getDomain();
      records.add(DnsRecord.of(host, m.getAddress()));
    }
    return records;
  }

  /** The trust bundle ConfigMap in {@code namespace}: every member's CA certificates, each once. */
  public static ConfigMap trust(FederationSpec spec, String namespace) {
    check(spec);
    List<X509Certificate> all = new ArrayList<>();
    for (FederationSpec.Member m : spec.getMembers()) {
      if (m.getTrustBundle() != null && !m.getTrustBundle().isBlank()) {
        List<X509Certificate> cas;
        try {
          cas = Pem.parseCertificates(m.getTrustBundle(), "the trust bundle of member " + m.getName());
        } catch (RuntimeException e) {
          throw new IllegalArgumentException(e.getMessage(), e);
        }
        for (X509Certificate ca : cas) {
          if (!all.contains(ca)) {
            all.add(ca);
          }
        }
      }
    }
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER);
    labels.put("app.kubernetes.io/component", "federation");
    return new ConfigMapBuilder().withNewMetadata().withName(trustName(spec.getDomain())).withNamespace(namespace)
        .withLabels(labels).endMetadata().withData(Map.of(CA_KEY, all.isEmpty() ? "" : Pem.encode(all))).build();
  }

  /** Refuses a federation that is not whole, naming what is wrong (always as an IllegalArgumentException). */
  static void check(FederationSpec spec) {
    try {
      checkWhole(spec);
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static void checkWhole(FederationSpec spec) {
    if (spec == null || spec.getDomain() == null || spec.getMembers() == null || spec.getMembers().isEmpty()) {
      throw new IllegalArgumentException("a federation needs a domain and members");
    }
    Identity.party(spec.getDomain(), "probe", "probe"); // the domain as an identity's trust domain
    Set<String> names = new HashSet<>();
    int coordinators = 0;
    for (FederationSpec.Member m : spec.getMembers()) {
      if (m.getName() == null || !names.add(m.getName())) {
        throw new IllegalArgumentException("member " + m.getName() + " is named twice (or not at all) in " + spec.getDomain());
      }
      if (COORDINATOR.equals(m.getRole())) {
        coordinators++;
      } else if (!PARTY.equals(m.getRole())) {
        throw new IllegalArgumentException("member " + m.getName() + " has role " + m.getRole() + "; coordinator or party");
      } else {
        Identity.party(spec.getDomain(), "probe", m.getName()); // a party's name is a label of its hosts
      }
      if (m.getAddressFrom() != null && !COORDINATOR.equals(m.getRole())) {
        throw new IllegalArgumentException("member " + m.getName() + " names addressFrom; only the coordinator may (its "
            + "cluster reads it), a party gives its address");
      }
      if (m.getAddressFrom() == null && m.getAddress() == null) {
        throw new IllegalArgumentException("member " + m.getName() + " has neither address nor addressFrom");
      }
      if (m.getAddress() != null) {
        DnsRecord.of("probe." + spec.getDomain(), m.getAddress()); // an IP literal, or refused naming it
      }
    }
    if (coordinators != 1) {
      throw new IllegalArgumentException(spec.getDomain() + " has " + coordinators + " coordinators; exactly one");
    }
  }
}
