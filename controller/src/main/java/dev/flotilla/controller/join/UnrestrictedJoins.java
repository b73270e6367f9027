package dev.flotilla.controller.join;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The warning for a join Secret without key {@value JoinModel#NAMESPACES} ({@link JoinModel#unrestrictedWarning}), once per
 * join Secret rather than at each of its updates and resyncs; again only if the key is added and then removed.
 */
final class UnrestrictedJoins {
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  /** The warning to log for {@code joinSecret} now, or empty: restricted, or already said. */
  Optional<String> warning(Secret joinSecret) {
    String uid = joinSecret.getMetadata().getUid();
    Optional<String> warning = JoinModel.unrestrictedWarning(joinSecret);
    if (warning.isEmpty()) {
      warned.remove(uid);
      return Optional.empty();
    }
    return warned.add(uid) ? warning : Optional.empty();
  }
}
