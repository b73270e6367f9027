package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Option;

@DisplayName("Durations: one syntax for every command line")
class DurationsTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
      "10m, PT10M", "30s, PT30S", "1h, PT1H", "500ms, PT0.5S", "2d, PT48H", "1h30m, PT1H30M", "1.5h, PT1H30M",
      "0.25s, PT0.25S", "PT10M, PT10M", "pt10m, PT10M", "P1D, PT24H", "PT0.5S, PT0.5S", "300, PT5M", "0, PT0S",
      "' 90s ', PT1M30S"})
  @DisplayName("short units, combinations, decimals, ISO-8601 in any case and bare seconds mean what they say")
  void accepted(String text, String iso) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"", "soon", "10 m", "m10", "10min", "1h-5m", "PT", "P", "10mm", "1e3s", "0x10s",
      "99999999999999999999h", "PT10M garbage"})
  @DisplayName("anything else is refused with a message that says what is accepted")
  void refused(String text) {
    assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("10m").hasMessageContaining("PT10M");
  }

  @Test
  @DisplayName("negative durations and ones longer than ten years are refused, naming the problem")
  void bounds() {
    assertThatThrownBy(() -> Durations.parse("-5s")).hasMessageContaining("negative");
    assertThatThrownBy(() -> Durations.parse("PT-5S")).hasMessageContaining("negative");
    assertThatThrownBy(() -> Durations.parse("3651d")).hasMessageContaining("longer than 3650 days");
    assertThatThrownBy(() -> Durations.parse("P4000D")).hasMessageContaining("longer than 3650 days");
    assertThat(Durations.parse("3650d")).isEqualTo(Durations.MAX);
    assertThatThrownBy(() -> Durations.parsePositive("0s")).hasMessageContaining("zero");
  }

  @Test
  @DisplayName("format writes the short form, and parse reads it back")
  void formatRoundTrips() {
    for (Duration d : List.of(Duration.ZERO, Duration.ofMillis(500), Duration.ofMinutes(10), Duration.ofMinutes(90),
        Duration.ofDays(1).plusSeconds(1), Duration.ofMillis(61_250))) {
      assertThat(Durations.parse(Durations.format(d))).as(Durations.format(d)).isEqualTo(d);
    }
    assertThat(Durations.format(Duration.ofMinutes(10))).isEqualTo("10m");
    assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
  }

  static final class Command {
    @Option(names = "--every", converter = DurationConverter.class, defaultValue = "10m")
    Duration every;

    @Option(names = "--timeout", converter = DurationConverter.Positive.class, defaultValue = "30s")
    Duration timeout;
  }

  @Test
  @DisplayName("the picocli converter: defaults and values in either syntax; a refusal names the option and the syntax")
  void converter() {
    Command c = new Command();
    new CommandLine(c).parseArgs();
    assertThat(c.every).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.timeout).isEqualTo(Duration.ofSeconds(30));
    new CommandLine(c).parseArgs("--every", "PT1H", "--timeout", "2m");
    assertThat(c.every).isEqualTo(Duration.ofHours(1));
    assertThat(c.timeout).isEqualTo(Duration.ofMinutes(2));
    assertThatThrownBy(() -> new CommandLine(new Command()).parseArgs("--every", "soon"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--every").hasMessageContaining("'soon' is not a duration");
    assertThatThrownBy(() -> new CommandLine(new Command()).parseArgs("--timeout", "0s"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("zero");
  }
}
