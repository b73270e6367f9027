package dev.flotilla.controller.enroll;

import dev.flotilla.testing.ManualClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.enroll.EnrollmentToken;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("a token grant: checked by hash, bounded in time and uses; stored without its secret")
class TokenGrantTest {
  static final Instant NOW = Instant.parse("2026-12-05T06:00:00Z");
  static final EnrollmentToken TOKEN = EnrollmentToken.parse("abcdef.0123456789abcdef");

  static TokenGrant grant(int uses) {
    return TokenGrant.of(TOKEN, "fl.example.org", "fl", "mnist", "alice", NOW.plus(Duration.ofHours(24)), uses);
  }

  static String refusal(Runnable r) {
    try {
      r.run();
    } catch (EnrollmentRefusal e) {
      return e.status() + " " + e.getMessage();
    }
    return "accepted";
  }

  @Test
  @DisplayName("its own token is accepted before expiry; the identity is the organisation's party of the job")
  void accepts() {
    assertThat(refusal(() -> grant(1).check(TOKEN, NOW))).isEqualTo("accepted");
    assertThat(grant(1).identity().uri()).isEqualTo("spiffe://fl.example.org/job/mnist/party/alice");
  }

  @Test
  @DisplayName("a wrong secret, or another token's id, is refused as not valid, naming the id only")
  void wrongSecret() {
    assertThat(refusal(() -> grant(1).check(EnrollmentToken.parse("abcdef.0123456789abcdee"), NOW)))
        .isEqualTo("403 token abcdef is not valid");
    assertThat(refusal(() -> grant(1).check(EnrollmentToken.parse("zzzzzz.0123456789abcdef"), NOW)))
        .isEqualTo("403 token zzzzzz is not valid");
  }

  @Test
  @DisplayName("at and after its expiry it is refused, saying when it expired")
  void expiry() {
    Instant end = NOW.plus(Duration.ofHours(24));
    assertThat(refusal(() -> grant(1).check(TOKEN, end.minusMillis(1)))).isEqualTo("accepted");
    assertThat(refusal(() -> grant(1).check(TOKEN, end)))
        .isEqualTo("403 token abcdef expired at 2026-12-06T06:00:00Z; ask the coordinator for a new one");
  }

  @Test
  @DisplayName("uses are counted: a token of 2 uses is refused at the third, saying it is used up")
  void uses() {
    TokenGrant g = grant(2);
    g.check(TOKEN, NOW);
    g = g.afterUse();
    g.check(TOKEN, NOW);
    TokenGrant spent = g.afterUse();
    assertThat(refusal(() -> spent.check(TOKEN, NOW)))
        .isEqualTo("403 token abcdef is used up (2 of 2 uses); ask the coordinator for a new one");
    assertThatThrownBy(spent::afterUse).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("asking again for a recorded certificate needs the token unexpired and its secret, not a use left: a used-up "
      + "token passes checkUnexpired, a wrong secret or an expired token does not")
  void unexpiredUsedUp() {
    TokenGrant spent = grant(1).afterUse();
    Instant end = NOW.plus(Duration.ofHours(24));
    assertThat(refusal(() -> spent.checkUnexpired(TOKEN, end.minusMillis(1)))).isEqualTo("accepted");
    assertThat(refusal(() -> spent.checkUnexpired(EnrollmentToken.parse("abcdef.0123456789abcdee"), NOW)))
        .isEqualTo("403 token abcdef is not valid");
    assertThat(refusal(() -> spent.checkUnexpired(TOKEN, end)))
        .isEqualTo("403 token abcdef expired at 2026-12-06T06:00:00Z; ask the coordinator for a new one");
  }

  @Test
  @DisplayName("uses out of 1..1000 and names that are not DNS labels are refused when made")
  void bounds() {
    assertThatThrownBy(() -> grant(0)).hasMessageContaining("uses must be in 1..1000");
    assertThatThrownBy(() -> grant(1001)).hasMessageContaining("uses must be in 1..1000");
    assertThatThrownBy(() -> TokenGrant.of(TOKEN, "fl.example.org", "fl", "mnist", "Alice_Org", NOW, 1))
        .isInstanceOf(RuntimeException.class);
  }

  @Nested
  @DisplayName("as a Secret")
  class AsSecret {
    @Test
    @DisplayName("holds the secret's SHA-256 and not the secret, and reads back to the same grant")
    void roundTrips() {
      Secret secret = EnrollmentModel.tokenSecret("flotilla-system", grant(3).afterUse());
      assertThat(secret.getMetadata().getName()).isEqualTo("flotilla-enroll-token.abcdef");
      assertThat(secret.getType()).isEqualTo(EnrollmentModel.TOKEN_TYPE);
      assertThat(secret.getStringData().toString()).doesNotContain(TOKEN.secret()).contains(TOKEN.secretSha256());
      // what the API server gives back: stringData turned into base64 data
      Map<String, String> data = new LinkedHashMap<>();
      secret.getStringData().forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
      secret.setData(data);
      secret.setStringData(null);
      assertThat(EnrollmentModel.grantOf(secret)).isEqualTo(grant(3).afterUse());
    }

    @Test
    @DisplayName("a Secret of another type, or with a field missing, is not a grant")
    void refusesOthers() {
      Secret secret = EnrollmentModel.tokenSecret("flotilla-system", grant(1));
      secret.setType("Opaque");
      secret.setData(Map.of());
      assertThatThrownBy(() -> EnrollmentModel.grantOf(secret)).hasMessageContaining("is not an enrollment token");
      Secret partial = EnrollmentModel.tokenSecret("flotilla-system", grant(1));
      partial.setData(Map.of("token-id", Base64.getEncoder().encodeToString("abcdef".getBytes(StandardCharsets.UTF_8))));
      assertThatThrownBy(() -> EnrollmentModel.grantOf(partial)).hasMessageContaining("not a usable enrollment token");
    }
  }

  @Nested
  @DisplayName("the attempt limiter")
  class Limiter {
    @Test
    @DisplayName("allows N attempts per address and window, other addresses apart, and again in the next window")
    void perAddress() {
      ManualClock clock = new ManualClock(NOW);
      AttemptLimiter limiter = new AttemptLimiter(3, Duration.ofMinutes(1), clock);
      for (int i = 0; i < 3; i++) {
        assertThat(limiter.tryAcquire("10.0.0.1")).isTrue();
      }
      assertThat(limiter.tryAcquire("10.0.0.1")).isFalse();
      assertThat(limiter.tryAcquire("10.0.0.2")).isTrue();
      clock.set(NOW.plus(Duration.ofMinutes(1)));
      assertThat(limiter.tryAcquire("10.0.0.1")).isTrue();
    }

    @Test
    @DisplayName("tracks at most 10 000 addresses per window: a flood of sources is refused, not remembered")
    void boundedAddresses() {
      AttemptLimiter limiter = new AttemptLimiter(1, Duration.ofMinutes(1), new ManualClock(NOW));
      for (int i = 0; i < AttemptLimiter.MAX_ADDRESSES; i++) {
        assertThat(limiter.tryAcquire("a" + i)).isTrue();
      }
      assertThat(limiter.tryAcquire("one-more")).isFalse();
    }
  }

}
