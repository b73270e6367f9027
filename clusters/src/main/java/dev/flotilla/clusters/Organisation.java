package dev.flotilla.clusters;

/**
 * One organisation of the federation and its cluster: the coordinator runs the aggregators, a party its parties.
 *
 * @param name a DNS label, at most 30 characters: the GKE cluster's name and the party name in host names
 * @param role coordinator or party
 * @param region the GCP region of its cluster, ingress address and node pool (e.g. europe-west1)
 * @param nodeCount nodes per zone of the node pool (a regional cluster has three zones)
 * @param machineType the nodes' machine type
 */
public record Organisation(String name, Role role, String region, int nodeCount, String machineType) {

  /** What an organisation does in the federation. */
  public enum Role {
    COORDINATOR("coordinator"),
    PARTY("party");

    private final String wireName;

    Role(String wireName) {
      this.wireName = wireName;
    }

    public String wireName() {
      return wireName;
    }

    static Role parse(String text) {
      for (Role r : values()) {
        if (r.wireName.equals(text)) {
          return r;
        }
      }
      throw new IllegalArgumentException("role '" + text + "' is neither coordinator nor party");
    }
  }

  public boolean coordinator() {
    return role == Role.COORDINATOR;
  }
}
