package dev.flotilla.party;

/** Entry point of the party jar: {@code java -jar party/target/party.jar --help}. */
public final class PartyMain {
  private PartyMain() {}

  public static void main(String[] args) {
    configureLogging();
    System.exit(PartyCommand.commandLine().execute(args));
  }

  /** slf4j-simple settings, unless the person set their own with -D. */
  static void configureLogging() {
    setDefault("org.slf4j.simpleLogger.showDateTime", "true");
    setDefault("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    setDefault("org.slf4j.simpleLogger.showThreadName", "false");
    setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
    // DJL explains its native library lookup at INFO and warns that this host has no GPU
    setDefault("org.slf4j.simpleLogger.log.ai.djl", "warn");
    setDefault("org.slf4j.simpleLogger.log.ai.djl.util.cuda", "error");
  }

  private static void setDefault(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
