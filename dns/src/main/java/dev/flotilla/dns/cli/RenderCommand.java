package dev.flotilla.dns.cli;

import dev.flotilla.dns.CorefileEditor;
import dev.flotilla.dns.EditResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code flotilla dns render}: a Corefile with the records applied, on stdout. */
@Command(
    name = "render",
    mixinStandardHelpOptions = true,
    description = "Print the Corefile with the records applied inside the owner's managed region of the "
        + "server block (adding 'reload' once when missing). Nothing outside the region changes; "
        + "the file itself is not written.")
final class RenderCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--corefile", required = true)
  String corefile;

  @Mixin RecordOptions records;

  @Override
  public Integer call() {
    String text = read(corefile);
    EditResult result = new CorefileEditor(records.serverBlock).apply(text, records.edit());
    spec.commandLine().getOut().print(result.corefile().render());
    spec.commandLine().getOut().flush();
    return 0;
  }

  static String read(String file) {
    try {
      if (file.equals("-")) {
        InputStream in = System.in;
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      return Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(new IOException("cannot read '" + file + "': " + describe(e), e));
    }
  }

  private static String describe(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
  }
}
