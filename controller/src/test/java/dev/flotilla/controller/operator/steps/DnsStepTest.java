package dev.flotilla.controller.operator.steps;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DnsStepTest {

  @Test
  @DisplayName("a name's holder is named within the namespace, left unnamed across namespaces, and named when written outside the controller")
  void holderWording() {
    assertThat(DnsStep.holder("iflearnerjob/team/first", "team")).isEqualTo("by job first of this namespace");
    assertThat(DnsStep.holder("iflearnerjob/other-team/first", "team")).isEqualTo("by a job in another namespace");
    assertThat(DnsStep.holder("iflearnerjob/team-b/first", "team")).isEqualTo("by a job in another namespace");
    assertThat(DnsStep.holder("cli", "team")).contains("'cli'", "outside the controller");
  }
}
