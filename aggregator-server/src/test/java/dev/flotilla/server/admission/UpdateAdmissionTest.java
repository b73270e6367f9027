package dev.flotilla.server.admission;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusException;
import java.util.HashMap;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class UpdateAdmissionTest {

  private final UpdateAdmission admission = new UpdateAdmission(AdmissionLimits.defaults().withMaxSamplesPerParty(1000));

  private static void assertInvalid(ThrowingCallable call, String description) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusException.class, e -> {
      org.assertj.core.api.Assertions.assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      org.assertj.core.api.Assertions.assertThat(e.getStatus().getDescription()).isEqualTo(description);
    });
  }

  @Nested
  class AtJoin {
    @Test
    @DisplayName("a party announces 1..--max-samples-per-party samples; 0, negative, above the bound and Long.MAX_VALUE are refused")
    void bounds() {
      assertThatCode(() -> admission.checkJoin("a", 1)).doesNotThrowAnyException();
      assertThatCode(() -> admission.checkJoin("a", 1000)).doesNotThrowAnyException();
      assertInvalid(() -> admission.checkJoin("a", 0),
          "party 'a' announced num_samples 0 at Join; it must be > 0 (the number of training samples the party holds)");
      assertInvalid(() -> admission.checkJoin("a", Long.MIN_VALUE), "party 'a' announced num_samples "
          + Long.MIN_VALUE + " at Join; it must be > 0 (the number of training samples the party holds)");
      assertInvalid(() -> admission.checkJoin("a", 1001), "party 'a' announced num_samples 1001 at Join, more than "
          + "the 1000 a party may hold in this job (--max-samples-per-party)");
      assertInvalid(() -> admission.checkJoin("a", Long.MAX_VALUE), "party 'a' announced num_samples "
          + Long.MAX_VALUE + " at Join, more than the 1000 a party may hold in this job (--max-samples-per-party)");
    }
  }

  @Nested
  class InAnUpdate {
    @Test
    @DisplayName("an update claims 1..the count announced at Join")
    void binding() {
      assertThatCode(() -> admission.checkUpdateSamples("a", 1, 200)).doesNotThrowAnyException();
      assertThatCode(() -> admission.checkUpdateSamples("a", 200, 200)).doesNotThrowAnyException();
      assertInvalid(() -> admission.checkUpdateSamples("a", 201, 200),
          "update of party 'a' claims 201 samples, more than the 200 it announced at Join (an update may claim 1..200)");
      assertInvalid(() -> admission.checkUpdateSamples("a", Long.MAX_VALUE, 200), "update of party 'a' claims "
          + Long.MAX_VALUE + " samples, more than the 200 it announced at Join (an update may claim 1..200)");
      assertInvalid(() -> admission.checkUpdateSamples("a", 0, 200), "update num_samples must be > 0, got 0");
      assertInvalid(() -> admission.checkUpdateSamples("a", -7, 200), "update num_samples must be > 0, got -7");
    }

    @Test
    @DisplayName("metrics: at most 32, names of at most 64 letters, digits and _ . : / -, finite values")
    void metrics() {
      assertThatCode(() -> admission.checkMetrics("u", Map.of("loss", 1e307, "val/f1:macro_2.0-x", -3.0)))
          .doesNotThrowAnyException();
      assertInvalid(() -> admission.checkMetrics("u", Map.of("accuracy", Double.NaN)),
          "u: metric 'accuracy' is NaN; metrics must be finite numbers");
      assertInvalid(() -> admission.checkMetrics("u", Map.of("loss", Double.NEGATIVE_INFINITY)),
          "u: metric 'loss' is -Infinity; metrics must be finite numbers");
      Map<String, Double> many = new HashMap<>();
      for (int i = 0; i < 32; i++) {
        many.put("m" + i, 0.0);
      }
      assertThatCode(() -> admission.checkMetrics("u", many)).doesNotThrowAnyException();
      many.put("one-more", 0.0);
      assertInvalid(() -> admission.checkMetrics("u", many), "u carries 33 metrics, more than the 32 allowed");
      assertThatCode(() -> admission.checkMetrics("u", Map.of("k".repeat(64), 0.0))).doesNotThrowAnyException();
      assertInvalid(() -> admission.checkMetrics("u", Map.of("k".repeat(65), 0.0)),
          "u has a metric name of 65 characters, more than the 64 allowed");
      for (String name : new String[] {"", "a b", "a\nb", "a\"b", "ä"}) {
        assertInvalid(() -> admission.checkMetrics("u", Map.of(name, 0.0)),
            "u has a metric name that is not made of letters, digits and _ . : / -");
      }
    }
  }

  @Test
  @DisplayName("a final evaluation weighs 0..--max-samples-per-party test samples")
  void evaluationSamples() {
    assertThatCode(() -> admission.checkEvaluationSamples("a", 0)).doesNotThrowAnyException();
    assertThatCode(() -> admission.checkEvaluationSamples("a", 1000)).doesNotThrowAnyException();
    assertInvalid(() -> admission.checkEvaluationSamples("a", -1),
        "evaluation of party 'a' claims -1 test samples; it must be in 0..1000 (--max-samples-per-party)");
    assertInvalid(() -> admission.checkEvaluationSamples("a", Long.MAX_VALUE), "evaluation of party 'a' claims "
        + Long.MAX_VALUE + " test samples; it must be in 0..1000 (--max-samples-per-party)");
  }

  @Test
  @DisplayName("--max-samples-per-party itself is bounded to 1..2^40")
  void limitBounds() {
    assertThatThrownBy(() -> AdmissionLimits.defaults().withMaxSamplesPerParty(0))
        .hasMessage("--max-samples-per-party must be in 1..1099511627776, got 0");
    assertThatThrownBy(() -> AdmissionLimits.defaults().withMaxSamplesPerParty((1L << 40) + 1))
        .hasMessageStartingWith("--max-samples-per-party must be in 1..1099511627776");
  }
}
