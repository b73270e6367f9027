package dev.flotilla.server.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PrivacyLedger: rounds charged with the settings each ran, and what a restart may change")
class PrivacyLedgerTest {

  private static final PrivacyBudget LOUD = new PrivacyBudget(20, 1e-5, 1.0, 2.0, 0.5);
  private static final PrivacyBudget QUIET = new PrivacyBudget(20, 1e-5, 0.5, 0.8, 0.5);

  private static PrivacyLedger charge(PrivacyLedger ledger, PrivacyBudget settings, int rounds) {
    for (int i = 0; i < rounds; i++) {
      ledger = ledger.charged(settings);
    }
    return ledger;
  }

  @Test
  @DisplayName("rounds with equal settings form one run; a change of noise, sampling or clip norm starts another")
  void runs() {
    PrivacyLedger ledger = charge(charge(charge(PrivacyLedger.empty(LOUD), LOUD, 3), QUIET, 2), LOUD, 1);
    assertThat(ledger.runs()).containsExactly(new PrivacyLedger.Run(3, 2.0, 0.5, 1.0),
        new PrivacyLedger.Run(2, 0.8, 0.5, 0.5), new PrivacyLedger.Run(1, 2.0, 0.5, 1.0));
    assertThat(ledger.rounds()).isEqualTo(6);
    assertThat(ledger.describe()).isEqualTo("3 rounds at noise multiplier 2.0, sampling rate 0.5, clip norm 1.0; "
        + "2 rounds at noise multiplier 0.8, sampling rate 0.5, clip norm 0.5; "
        + "1 round at noise multiplier 2.0, sampling rate 0.5, clip norm 1.0");
  }

  @Test
  @DisplayName("epsilon of mixed rounds lies strictly between all-quiet and all-loud, and one setting's rounds equal "
      + "PrivacyBudget.epsilonAfter exactly")
  void mixedRoundsCompose() {
    PrivacyLedger loud = charge(PrivacyLedger.empty(LOUD), LOUD, 5);
    assertThat(loud.epsilon()).isEqualTo(LOUD.epsilonAfter(5));
    PrivacyLedger mixed = charge(charge(PrivacyLedger.empty(LOUD), LOUD, 3), QUIET, 2);
    // a smaller noise multiplier spends more per round
    assertThat(mixed.epsilon()).isGreaterThan(LOUD.epsilonAfter(5)).isLessThan(QUIET.epsilonAfter(5));
    // what comes next is charged at the settings given for it, on top of the past rounds
    assertThat(charge(PrivacyLedger.empty(LOUD), LOUD, 3).epsilonAfter(QUIET, 2)).isEqualTo(mixed.epsilon());
    // rounds compose by adding RDP per order, so the order of the runs does not matter
    assertThat(charge(charge(PrivacyLedger.empty(LOUD), QUIET, 2), LOUD, 3).epsilon())
        .isCloseTo(mixed.epsilon(), within(1e-12));
  }

  @Test
  @DisplayName("after a restart with a smaller noise multiplier, the rounds allowed follow from the past rounds' own "
      + "epsilon: more than if the past had been charged at the new settings")
  void roundsAllowedAfterAChange() {
    PrivacyBudget quietBudget = new PrivacyBudget(6, 1e-5, 0.5, 0.8, 0.5);
    PrivacyLedger past = charge(PrivacyLedger.empty(LOUD), LOUD, 4);
    int allowed = quietBudget.roundsAllowed(past, 1000);
    assertThat(past.epsilonAfter(quietBudget, allowed - 4)).isLessThanOrEqualTo(6);
    assertThat(past.epsilonAfter(quietBudget, allowed - 3)).isGreaterThan(6);
    // charging the 4 past rounds at the quiet settings (what servers before the ledger did) allows fewer
    assertThat(quietBudget.roundsAllowed(PrivacyLedger.assumed(quietBudget, 4), 1000)).isLessThan(allowed);
    assertThat(quietBudget.roundsAllowed(past, 6)).isEqualTo(Math.min(6, allowed));
    assertThat(quietBudget.status(past, 1000).epsilonSpent()).isEqualTo(past.epsilon());
  }

  @Test
  @DisplayName("a restart may change noise, sampling rate, clip norm and raise the budget; another delta, or a budget "
      + "below what was spent, is refused saying why and what to give")
  void resumeRefusals() {
    PrivacyLedger past = charge(PrivacyLedger.empty(LOUD), LOUD, 4);
    double spent = past.epsilon();
    assertThat(QUIET.resumeRefusal(past)).isNull();
    assertThat(new PrivacyBudget(spent, 1e-5, 3, 5, 0.1).resumeRefusal(past)).isNull();
    assertThat(new PrivacyBudget(20, 1e-6, 1.0, 2.0, 0.5).resumeRefusal(past)).isEqualTo("its 4 rounds were charged at "
        + "--dp-delta 1.0E-5, and this server is given --dp-delta 1.0E-6: epsilons at different deltas do not add up; "
        + "restart with --dp-delta 1.0E-5");
    String spentText = String.format(java.util.Locale.ROOT, "%.4g", spent);
    assertThat(new PrivacyBudget(spent * 0.9, 1e-5, 1.0, 2.0, 0.5).resumeRefusal(past)).isEqualTo("its 4 rounds "
        + "already spent epsilon " + spentText + " (delta 1.0E-5), more than --privacy-budget " + spent * 0.9
        + ": a budget cannot be lowered below what was spent; give at least " + spentText);
  }

  @Test
  @DisplayName("a round at another delta cannot be charged; the ledger's runs cannot be changed from outside")
  void immutable() {
    PrivacyLedger ledger = PrivacyLedger.empty(LOUD);
    assertThatThrownBy(() -> ledger.charged(new PrivacyBudget(20, 1e-6, 1, 2, 0.5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delta 1.0E-6");
    List<PrivacyLedger.Run> runs = ledger.charged(LOUD).runs();
    assertThatThrownBy(() -> runs.add(new PrivacyLedger.Run(1, 1, 1, 1))).isInstanceOf(UnsupportedOperationException.class);
    assertThat(ledger.rounds()).isZero();
    assertThat(ledger.epsilon()).isZero();
  }
}
