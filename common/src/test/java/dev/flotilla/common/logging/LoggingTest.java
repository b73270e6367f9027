package dev.flotilla.common.logging;

import dev.flotilla.cli.Cli;
import dev.flotilla.cli.OptionSet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.event.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine;

class LoggingTest {
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private LogFormat formatBefore;

  @BeforeEach
  void capture() {
    formatBefore = LogSettings.format();
    LogSettings.output(new PrintStream(captured, true, StandardCharsets.UTF_8));
    LogContext.clear();
  }

  @AfterEach
  void restore() {
    LogSettings.output(null);
    LogSettings.setFormat(formatBefore);
    LogContext.clear();
    MDC.clear();
  }

  private List<String> lines() {
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  @DisplayName("SLF4J finds the project's binding: a logger of any name writes through LogSettings")
  void bindingIsTheProjects() {
    assertThat(LoggerFactory.getILoggerFactory().getLogger("x")).isInstanceOf(FlotillaLogger.class);
  }

  @Test
  @DisplayName("a human line names time, level, role, job, party, round, logger and the message")
  void humanLine() {
    LogSettings.setFormat(LogFormat.HUMAN);
    LogContext.set(LogContext.ROLE, "party");
    LogContext.set(LogContext.JOB, "mnist");
    LogContext.set(LogContext.PARTY, "alice");
    LogContext.round(3);
    LoggerFactory.getLogger("dev.flotilla.party.client.PartyRunner").info("round {}: {} samples", 3, 600);
    assertThat(lines()).singleElement().asString()
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z INFO  \\[party job=mnist party=alice round=3\\] "
            + "PartyRunner: round 3: 600 samples");
  }

  @Test
  @DisplayName("a JSON line carries the same fields, unknown ones as null and the round as a number")
  void jsonLine() {
    LogSettings.setFormat(LogFormat.JSON);
    LogContext.set(LogContext.ROLE, "server");
    LogContext.set(LogContext.JOB, "mnist");
    LogContext.round(12);
    LoggerFactory.getLogger("dev.flotilla.server.round.RoundLoop").warn("say \"hi\"\nforged");
    assertThat(lines()).singleElement().asString()
        .matches("\\{\"time\":\"[^\"]+Z\",\"level\":\"WARN\",\"role\":\"server\",\"job\":\"mnist\",\"party\":null,"
            + "\"round\":12,\"logger\":\"dev.flotilla.server.round.RoundLoop\",\"message\":\"say \\\\\"hi\\\\\"\\\\nforged\"\\}");
  }

  @Test
  @DisplayName("a line break in a message cannot start a second human line; a stack trace follows on its own lines")
  void humanLineCannotBeForged() {
    LogSettings.setFormat(LogFormat.HUMAN);
    LoggerFactory.getLogger("t").error("bad name 'x\n2026-01-01T00:00:00Z INFO  [server] forged'", new IllegalStateException("boom"));
    List<String> lines = lines();
    assertThat(lines.get(0)).endsWith("[- job=- party=- round=-] t: bad name 'x\\n2026-01-01T00:00:00Z INFO  [server] forged'");
    assertThat(lines.get(1)).isEqualTo("java.lang.IllegalStateException: boom");
    assertThat(lines.subList(2, lines.size())).allMatch(l -> l.startsWith("\tat ") || l.startsWith("\t..."));
  }

  @Test
  @DisplayName("a thread's MDC entry wins over the process's field, for that thread only")
  void mdcWins() throws InterruptedException {
    LogSettings.setFormat(LogFormat.HUMAN);
    LogContext.set(LogContext.JOB, "process-job");
    MDC.put(LogContext.JOB, "ns/job-a");
    LoggerFactory.getLogger("t").info("mine");
    Thread other = new Thread(() -> {
      MDC.clear();
      LoggerFactory.getLogger("t").info("other");
    });
    other.start();
    other.join();
    assertThat(lines()).anyMatch(l -> l.contains("job=ns/job-a") && l.endsWith("t: mine"));
    assertThat(lines()).anyMatch(l -> l.contains("job=process-job") && l.endsWith("t: other"));
  }

  @Test
  @DisplayName("thresholds: the longest prefix set wins, the rest follow the default; off silences")
  void thresholds() {
    LogSettings.levelUnlessSet("org.example.noisy", Level.ERROR);
    LogSettings.levelUnlessSet("org.example.noisy.useful", Level.DEBUG);
    assertThat(LoggerFactory.getLogger("org.example.noisy.Thing").isWarnEnabled()).isFalse();
    assertThat(LoggerFactory.getLogger("org.example.noisy.Thing").isErrorEnabled()).isTrue();
    assertThat(LoggerFactory.getLogger("org.example.noisy.useful.Thing").isDebugEnabled()).isTrue();
    assertThat(LoggerFactory.getLogger("org.example.Other").isDebugEnabled()).isFalse();
    assertThat(LoggerFactory.getLogger("org.example.Other").isInfoEnabled()).isTrue();
    System.setProperty(LogSettings.LEVEL_PROPERTY + ".org.example.silent", "off");
    try {
      LoggerFactory.getLogger("org.example.silent.X").error("never");
      assertThat(lines()).isEmpty();
    } finally {
      System.clearProperty(LogSettings.LEVEL_PROPERTY + ".org.example.silent");
    }
  }

  @Test
  @DisplayName("java.util.logging records (gRPC, Netty) come out in the project's format once Logging.start ran")
  void julIsBridged() {
    LogSettings.setFormat(LogFormat.JSON);
    Logging.start("controller");
    java.util.logging.Logger.getLogger("io.grpc.netty.Test").warning("from jul");
    java.util.logging.Logger.getLogger("io.grpc.netty.Test").fine("below the threshold");
    assertThat(lines()).singleElement().asString()
        .contains("\"level\":\"WARN\",\"role\":\"controller\"", "\"logger\":\"io.grpc.netty.Test\",\"message\":\"from jul\"");
  }

  @Command(name = "tool")
  static final class Tool implements Runnable {
    @Mixin LogOptions logOptions;

    @Override
    public void run() {
      LoggerFactory.getLogger("tool").info("ran");
    }
  }

  /** The tool bound to the flag's one definition, as every command binds it (its option set). */
  private static CommandLine tool() {
    return Cli.commandLine(new Tool(), OptionSet.of("tool", LogOptions.FORMAT), t -> null);
  }

  @Test
  @DisplayName("--log-format json switches the format; any other value is a usage error naming the choices")
  void flag() {
    LogSettings.setFormat(LogFormat.HUMAN);
    assertThat(tool().execute("--log-format", "JSON")).isZero();
    assertThat(lines()).singleElement().asString().startsWith("{\"time\":").endsWith("\"message\":\"ran\"}");
    java.io.StringWriter err = new java.io.StringWriter();
    CommandLine cli = tool();
    cli.setErr(new java.io.PrintWriter(err));
    assertThat(cli.execute("--log-format", "xml")).isEqualTo(2);
    assertThat(err.toString()).contains("log format 'xml' is not one of: human, json");
    assertThatThrownBy(() -> LogFormat.parse("")).hasMessageContaining("human, json");
  }
}
