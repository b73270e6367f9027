package dev.flotilla.controller.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The multi-cluster engine a controller hands jobs with {@code spec.placement} to ({@code --placement}). Flotilla
 * places nothing itself: Karmada's scheduler or OCM's placement controller chooses, their agents deliver.
 */
public enum PlacementEngine {
  /** Jobs run in this cluster; {@code spec.placement} is ignored (a member cluster's controller). */
  NONE("none"),
  /** A Karmada PropagationPolicy (policy.karmada.io/v1alpha1) per job: the controller runs against karmada-apiserver. */
  KARMADA("karmada"),
  /** An OCM Placement (cluster.open-cluster-management.io/v1beta1) per job and a ManifestWork per cluster it chose. */
  OCM("ocm");

  private final String flagName;

  PlacementEngine(String flagName) {
    this.flagName = flagName;
  }

  public String flagName() {
    return flagName;
  }

  /** {@code none}, {@code karmada} or {@code ocm}; anything else is refused naming the three. */
  public static PlacementEngine parse(String text) {
    String wanted = text.trim().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(e -> e.flagName.equals(wanted)).findFirst().orElseThrow(() ->
        new IllegalArgumentException("'" + text + "' is not a placement engine: "
            + Arrays.stream(values()).map(PlacementEngine::flagName).collect(Collectors.joining(", "))));
  }
}
