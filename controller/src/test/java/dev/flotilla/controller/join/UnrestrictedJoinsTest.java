package dev.flotilla.controller.join;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.model.CertificateModel;
import io.fabric8.kubernetes.api.model.Secret;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("UnrestrictedJoins: the warning about a join Secret without key namespaces is said once per Secret")
class UnrestrictedJoinsTest {
  static Secret joinSecret(String uid) {
    Secret secret = JoinModelTest.secret(JoinModelTest.valid(), JoinModel.TYPE);
    secret.getMetadata().setUid(uid);
    return secret;
  }

  @Test
  @DisplayName("once for each join Secret, not at its updates or resyncs; nothing while it has the key; again once the key is removed")
  void oncePerSecret() {
    UnrestrictedJoins joins = new UnrestrictedJoins();
    Secret first = joinSecret("uid-1");
    assertThat(joins.warning(first)).hasValueSatisfying(w -> assertThat(w).startsWith("join Secret flotilla-system/join-alice "
        + "has no key namespaces"));
    assertThat(joins.warning(first)).as("the same Secret again (an update, a resync)").isEmpty();
    assertThat(joins.warning(joinSecret("uid-2"))).as("another join Secret").isPresent();

    Secret restricted = joinSecret("uid-1");
    restricted.getData().put(JoinModel.NAMESPACES, CertificateModel.encode("hospital"));
    assertThat(joins.warning(restricted)).isEmpty();
    assertThat(joins.warning(first)).as("the key removed again").isPresent();
  }
}
