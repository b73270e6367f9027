package dev.flotilla.server.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PrivacyBudget: the rounds a budget allows, and its bounds")
class PrivacyBudgetTest {

  @Test
  @DisplayName("allows exactly the rounds whose epsilon stays within the budget, and refuses the next with a reason")
  void roundsAllowed() {
    PrivacyBudget budget = new PrivacyBudget(5.0, 1e-5, 1.0, 2.0, 1.0);
    int allowed = budget.roundsAllowed(1000);

    assertThat(budget.epsilonAfter(allowed)).isLessThanOrEqualTo(5.0);
    assertThat(budget.epsilonAfter(allowed + 1)).isGreaterThan(5.0);
    assertThat(budget.refusal(PrivacyLedger.assumed(budget, allowed - 1))).isNull();
    assertThat(budget.refusal(PrivacyLedger.assumed(budget, allowed))).startsWith("privacy budget exhausted: round "
        + (allowed + 1) + " would take epsilon to ").contains("beyond --privacy-budget 5.0 (delta 1.0E-5;")
        .endsWith(String.format(java.util.Locale.ROOT, "%.4g spent by %d rounds)", budget.epsilonAfter(allowed), allowed));
    assertThat(budget.roundsAllowed(3)).isEqualTo(Math.min(3, allowed));
    assertThat(budget.status(PrivacyLedger.assumed(budget, 2), 10).epsilonSpent()).isEqualTo(budget.epsilonAfter(2));
  }

  @Test
  @DisplayName("refuses values out of range, NaN included, naming the flag")
  void bounds() {
    assertThatThrownBy(() -> new PrivacyBudget(0, 1e-5, 1, 1, 1)).hasMessage("--privacy-budget must be in (0, 100], got 0.0");
    assertThatThrownBy(() -> new PrivacyBudget(Double.NaN, 1e-5, 1, 1, 1)).hasMessageStartingWith("--privacy-budget");
    assertThatThrownBy(() -> new PrivacyBudget(1, 1, 1, 1, 1)).hasMessage("--dp-delta must be in (0, 0.1], got 1.0");
    assertThatThrownBy(() -> new PrivacyBudget(1, 1e-5, -1, 1, 1)).hasMessageStartingWith("--dp-clip-norm");
    assertThatThrownBy(() -> new PrivacyBudget(1, 1e-5, 1, 0, 1)).hasMessageStartingWith("--dp-noise-multiplier");
    assertThatThrownBy(() -> new PrivacyBudget(1, 1e-5, 1, 1, 1.5)).hasMessageStartingWith("--dp-sampling-rate");
  }
}
