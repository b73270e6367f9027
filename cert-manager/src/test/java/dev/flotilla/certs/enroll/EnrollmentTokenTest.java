package dev.flotilla.certs.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.KeyType;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("enrollment tokens, CA pins and revocation lists: parsed strictly, secrets kept hashed")
class EnrollmentTokenTest {

  @Nested
  @DisplayName("an enrollment token")
  class Tokens {
    @Test
    @DisplayName("parses kubeadm's form <6>.<16> of a-z0-9 and prints it back")
    void parses() {
      EnrollmentToken token = EnrollmentToken.parse("abcdef.0123456789abcdef");
      assertThat(token.id()).isEqualTo("abcdef");
      assertThat(token.secret()).isEqualTo("0123456789abcdef");
      assertThat(token.value()).isEqualTo("abcdef.0123456789abcdef");
    }

    @Test
    @DisplayName("refuses other shapes without repeating the input")
    void refusesOtherShapes() {
      for (String bad : new String[] {"", "abcdef", "abcdef.0123456789abcde", "ABCDEF.0123456789abcdef",
          "abcdef:0123456789abcdef", "abcdef.0123456789abcdeF", "abcdefg.0123456789abcde", "abcdef.0123456789abcdef0"}) {
        assertThatThrownBy(() -> EnrollmentToken.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
            .hasMessageNotContaining("0123456789");
      }
      assertThatThrownBy(() -> EnrollmentToken.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("hashes its secret with SHA-256 (the value sha256sum prints) and matches only that hash")
    void hashes() {
      EnrollmentToken token = EnrollmentToken.parse("abcdef.0123456789abcdef");
      // printf %s 0123456789abcdef | sha256sum
      assertThat(token.secretSha256()).isEqualTo("9f9f5111f7b27a781f1f1ddde5ebc2dd2b796bfc7365c9c28b548e564176929f");
      assertThat(token.matches(token.secretSha256())).isTrue();
      assertThat(EnrollmentToken.parse("abcdef.0123456789abcdee").matches(token.secretSha256())).isFalse();
      assertThat(token.matches(null)).isFalse();
      assertThat(token.matches("")).isFalse();
    }

    @Test
    @DisplayName("is generated in the same form, differently each time, and shows only its id in toString")
    void generates() {
      SecureRandom random = new SecureRandom();
      EnrollmentToken a = EnrollmentToken.generate(random);
      EnrollmentToken b = EnrollmentToken.generate(random);
      assertThat(EnrollmentToken.parse(a.value())).isEqualTo(a);
      assertThat(a).isNotEqualTo(b);
      assertThat(a.toString()).isEqualTo(a.id() + ".<secret>").doesNotContain(a.secret());
    }
  }

  @Nested
  @DisplayName("a join token")
  class Join {
    CertificateAuthority ca = CertificateAuthority.createRoot("Test CA", Duration.ofDays(1), KeyType.EC_P256);
    CertificateAuthority other = CertificateAuthority.createRoot("Test CA", Duration.ofDays(1), KeyType.EC_P256);

    @Test
    @DisplayName("carries the token and the pin of its CA's public key, matching that CA and no other")
    void pinsTheCa() {
      CaPin pin = CaPin.of(ca.certificate());
      JoinToken join = JoinToken.parse("abcdef.0123456789abcdef:" + pin);
      assertThat(join.token().id()).isEqualTo("abcdef");
      assertThat(join.pin().matches(ca.certificate())).isTrue();
      assertThat(join.pin().matches(other.certificate())).isFalse();
      assertThat(JoinToken.parse(join.value())).isEqualTo(join);
      assertThat(join.toString()).doesNotContain("0123456789abcdef");
    }

    @Test
    @DisplayName("refuses a token without a pin, a pin of another hash or of the wrong length")
    void refusesMalformed() {
      String pin = CaPin.of(ca.certificate()).toString();
      for (String bad : new String[] {"abcdef.0123456789abcdef", "abcdef.0123456789abcdef:" + pin.replace("sha256", "sha512"),
          "abcdef.0123456789abcdef:" + pin.substring(0, pin.length() - 1), "abcdef.0123456789abcdef:" + pin + "0",
          "abcdef.0123456789abcdef:" + pin.replace('a', 'z')}) {
        assertThatThrownBy(() -> JoinToken.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
      }
    }
  }

  @Nested
  @DisplayName("a revocation list")
  class Revocations {
    @Test
    @DisplayName("reads hex serials with notes and comments, and writes what it reads")
    void roundTrips() {
      RevokedSerials list = RevokedSerials.none().with(BigInteger.valueOf(0x3f9a), "alice").with(BigInteger.TWO, "");
      RevokedSerials back = RevokedSerials.parse(list.text(), "test");
      assertThat(back.isRevoked(BigInteger.valueOf(0x3f9a))).isTrue();
      assertThat(back.note(BigInteger.valueOf(0x3f9a))).isEqualTo("alice");
      assertThat(back.isRevoked(BigInteger.TWO)).isTrue();
      assertThat(back.isRevoked(BigInteger.ONE)).isFalse();
      assertThat(back.text()).isEqualTo(list.text());
    }

    @Test
    @DisplayName("refuses a line that is not a serial, a serial over 20 bytes, and text over its bound, naming the line")
    void refusesHostile() {
      assertThatThrownBy(() -> RevokedSerials.parse("# ok\n3f\nzz\n", "f")).hasMessage("f line 3: not a lower-case hex serial of at most 20 bytes");
      assertThatThrownBy(() -> RevokedSerials.parse("a".repeat(41), "f")).hasMessageContaining("line 1");
      assertThatThrownBy(() -> RevokedSerials.parse("1\n".repeat(RevokedSerials.MAX_BYTES / 2 + 1), "f"))
          .hasMessage("f holds more than " + RevokedSerials.MAX_BYTES + " bytes of revoked serials");
      StringBuilder many = new StringBuilder();
      for (int i = 0; i <= RevokedSerials.MAX_ENTRIES; i++) {
        many.append(Integer.toHexString(i)).append('\n');
      }
      assertThatThrownBy(() -> RevokedSerials.parse(many.toString(), "f"))
          .hasMessage("f holds more than " + RevokedSerials.MAX_ENTRIES + " revoked serials");
    }
  }
}
