package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/**
 * {@code spec.placement}: which member clusters should run the job, handed to the multi-cluster engine the
 * controller runs with ({@code --placement karmada|ocm}); ignored by a controller with {@code --placement none},
 * which runs the job in its own cluster (what a member cluster's controller does with the copy it is given).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlacementSpec {

  @Size(max = 100)
  @JsonPropertyDescription("Member clusters to run the job in: Karmada Cluster names (required with --placement karmada), "
      + "or OCM ManagedCluster names the Placement is narrowed to (optional with --placement ocm: every cluster of the set).")
  private List<String> clusters;

  @Size(max = 63)
  @JsonPropertyDescription("OCM only: the ManagedClusterSet to choose from (bound to the job's namespace by a "
      + "ManagedClusterSetBinding); default global, the set of every cluster.")
  private String clusterSet;

  public PlacementSpec() {}

  public PlacementSpec(List<String> clusters, String clusterSet) {
    this.clusters = clusters;
    this.clusterSet = clusterSet;
  }

  public List<String> getClusters() {
    return clusters;
  }

  public void setClusters(List<String> clusters) {
    this.clusters = clusters;
  }

  public String getClusterSet() {
    return clusterSet;
  }

  public void setClusterSet(String clusterSet) {
    this.clusterSet = clusterSet;
  }
}
