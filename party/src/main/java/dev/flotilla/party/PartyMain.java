package dev.flotilla.party;

import dev.flotilla.common.logging.LogContext;
import dev.flotilla.common.logging.LogSettings;
import dev.flotilla.common.logging.Logging;
import org.slf4j.event.Level;

/** Entry point of the party jar: {@code java -jar party/target/party.jar --help}. */
public final class PartyMain {
  private PartyMain() {}

  public static void main(String[] args) {
    configureLogging();
    System.exit(PartyCommand.commandLine().execute(args));
  }

  /** The party's role on every line; DJL quieter, unless the person chose levels with -D. */
  static void configureLogging() {
    Logging.start(LogContext.ROLE_PARTY);
    // DJL explains its native library lookup at INFO and warns that this host has no GPU
    LogSettings.levelUnlessSet("ai.djl", Level.WARN);
    LogSettings.levelUnlessSet("ai.djl.util.cuda", Level.ERROR);
  }
}
