package dev.flotilla.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The version line of every command, {@code flotilla <command> <version> (git <commit>)}, from the
 * resource the build writes (cli/pom.xml); bin/flotilla prints the same line for its own commands.
 */
public final class FlotillaVersion implements CommandLine.IVersionProvider {
  private static final String RESOURCE = "version.properties";

  private final CommandSpec spec;

  public FlotillaVersion(CommandSpec spec) {
    this.spec = spec;
  }

  @Override
  public String[] getVersion() {
    return new String[] {line(Cli.displayName(spec))};
  }

  /** The version line of {@code command} (e.g. "flotilla certs issue"). */
  public static String line(String command) {
    return command + " " + version() + " (git " + commit() + ")";
  }

  /** The project version, e.g. 0.1.0-SNAPSHOT. */
  public static String version() {
    return properties().getProperty("version", "unknown");
  }

  /** The commit the build was made from (12 hex digits), or "unknown" outside a git checkout. */
  public static String commit() {
    return properties().getProperty("commit", "unknown");
  }

  private static Properties properties() {
    Properties p = new Properties();
    try (InputStream in = FlotillaVersion.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }
}
