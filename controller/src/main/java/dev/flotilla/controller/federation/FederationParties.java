package dev.flotilla.controller.federation;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which party organisations a Flotilla aggregator of a federation admits: the party members of the Federation of
 * its domain in the coordinator controller's namespace. Enrollment gives an organisation the identity
 * {@code spiffe://<domain>/job/<job>/party/<member>} (its token names the job, the coordinator signs only that),
 * so the member's name is its party name in every job of the domain, and only a holder of that job's certificate
 * gets through the handshake: listing the member here does not let it into another job. Adding a member admits
 * it at its next join; removing it refuses it at its next handshake or join (the aggregator re-reads its parties
 * file when it changes). Pure.
 *
 * <p>Refused, each with a reason for the job's status and events:
 * <ul>
 *   <li>a Federation of the domain that is not whole ({@link FederationRoutesModel#check}: a member named twice,
 *       not exactly one coordinator, a name that is no DNS label...): none of its members is admitted;</li>
 *   <li>a second whole Federation of the domain: only the first by namespace and name is read (as
 *       {@link CoordinatorAddress} does);</li>
 *   <li>more than {@value #MAX_PARTY_MEMBERS} party members: none admitted;</li>
 *   <li>a member whose name a party job of the aggregator's namespace already declares (itself, or as the
 *       host of its virtual parties {@code <name>[-p<i>]-v<j>}): one name, two holders; neither is admitted.</li>
 * </ul>
 */
public final class FederationParties {

  /** The Federation CRD's bound on members; a mirror or an older CRD is held to it here too. */
  public static final int MAX_PARTY_MEMBERS = 64;

  private FederationParties() {}

  /**
   * What the allow-list takes from the Federations.
   *
   * @param federation the Federation read ({@code namespace/name}), or null: none of the domain is whole
   * @param members the party members admitted
   * @param local the local parties still admitted (those a member also claims are not)
   * @param refusals why a Federation, member or local party is not admitted, in order
   */
  public record Admission(String federation, SortedSet<String> members, SortedSet<String> local, List<String> refusals) {

    /** The allow-list: the local parties and the admitted members. */
    public SortedSet<String> allowList() {
      SortedSet<String> all = new TreeSet<>(local);
      all.addAll(members);
      return all;
    }
  }

  /**
   * The admission for an aggregator of {@code domain} whose namespace's party jobs declare {@code localParties},
   * from the Federations of the controller's namespace.
   */
  public static Admission of(String domain, Collection<Federation> federations, Set<String> localParties) {
    List<String> refusals = new ArrayList<>();
    List<Federation> whole = new ArrayList<>();
    for (Federation f : sorted(federations)) {
      if (f.getSpec() == null || !domain.equals(f.getSpec().getDomain())) {
        continue;
      }
      try {
        FederationRoutesModel.check(f.getSpec());
        whole.add(f);
      } catch (IllegalArgumentException e) {
        refusals.add("Federation " + ref(f) + " is not whole, none of its members is admitted: " + e.getMessage());
      }
    }
    SortedSet<String> local = new TreeSet<>(localParties);
    if (whole.isEmpty()) {
      return new Admission(null, new TreeSet<>(), local, List.copyOf(refusals));
    }
    Federation read = whole.get(0);
    for (Federation other : whole.subList(1, whole.size())) {
      refusals.add("Federation " + ref(other) + " is of the same domain as " + ref(read) + "; only " + ref(read) + " is read");
    }
    List<String> partyMembers = read.getSpec().getMembers().stream()
        .filter(m -> FederationRoutesModel.PARTY.equals(m.getRole())).map(FederationSpec.Member::getName).toList();
    SortedSet<String> members = new TreeSet<>();
    if (partyMembers.size() > MAX_PARTY_MEMBERS) {
      refusals.add("Federation " + ref(read) + " has " + partyMembers.size() + " party members, more than "
          + MAX_PARTY_MEMBERS + "; none is admitted");
      return new Admission(ref(read), members, local, List.copyOf(refusals));
    }
    for (String member : partyMembers) {
      List<String> taken = local.stream().filter(name -> sameHolder(member, name)).toList();
      if (taken.isEmpty()) {
        members.add(member);
      } else {
        local.removeAll(taken);
        refusals.add("member " + member + " of Federation " + ref(read) + " and a party job of the namespace both claim "
            + String.join(", ", taken) + "; neither is admitted until one is renamed or removed");
      }
    }
    return new Admission(ref(read), members, local, List.copyOf(refusals));
  }

  /** Whether the local party name {@code name} would be held by whoever holds the member's name. */
  private static boolean sameHolder(String member, String name) {
    return name.equals(member) || Pattern.matches(Pattern.quote(member) + "(-p[0-9]+)?-v[0-9]+", name);
  }

  private static List<Federation> sorted(Collection<Federation> federations) {
    return federations.stream().sorted(Comparator.comparing((Federation f) -> f.getMetadata().getNamespace())
        .thenComparing(f -> f.getMetadata().getName())).toList();
  }

  private static String ref(Federation f) {
    return f.getMetadata().getNamespace() + "/" + f.getMetadata().getName();
  }
}
