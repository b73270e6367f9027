package dev.flotilla.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IHelpSectionRenderer;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * Help text wrapped between words only. picocli wraps with the JDK's line BreakIterator, which also
 * breaks after '/', '.' and ':' ("DIR/tls.", "key"; "spiffe:", "//DOMAIN"): each section is rendered
 * unwrapped and wrapped here at spaces, to the width picocli chose (the terminal's, with autoWidth).
 * A table row (names, two or more spaces, text) continues under its text; a word longer than the
 * line stays whole.
 */
final class HelpWrap {
  private static final int UNWRAPPED = 4000;

  private HelpWrap() {}

  /** {@code section} (of {@code key}) rendered unwrapped, then wrapped at spaces. */
  static IHelpSectionRenderer wrapping(String key, IHelpSectionRenderer section) {
    return help -> {
      UsageMessageSpec usage = help.commandSpec().usageMessage();
      int width = usage.width();
      boolean auto = usage.autoWidth();
      usage.autoWidth(false).width(UNWRAPPED);
      try {
        String text = section.render(help);
        if (!key.equals(CommandLine.Model.UsageMessageSpec.SECTION_KEY_SYNOPSIS)) {
          return wrap(text, width, null);
        }
        // the synopsis follows its heading ("Usage: ") on the same line, and continues after the command's name
        String heading = help.synopsisHeading();
        return wrap(heading + text, width, heading + help.commandSpec().qualifiedName() + " ").substring(heading.length());
      } finally {
        usage.width(width).autoWidth(auto);
      }
    };
  }

  /** Each line of {@code text} longer than {@code width} wrapped at spaces; {@code synopsis} continues after its prefix. */
  static String wrap(String text, int width, String synopsis) {
    StringBuilder out = new StringBuilder();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (i > 0) {
        out.append('\n');
      }
      out.append(wrapLine(lines[i], width, synopsis));
    }
    return out.toString();
  }

  private static String wrapLine(String line, int width, String synopsis) {
    String trimmed = line.stripTrailing();
    if (trimmed.length() <= width) {
      return line;
    }
    int indent = indentOf(trimmed, width, synopsis);
    String head = trimmed.substring(0, indent);
    List<String> words = List.of(trimmed.substring(indent).strip().split(" +"));
    List<String> rows = new ArrayList<>();
    StringBuilder row = new StringBuilder(head);
    for (String word : words) {
      boolean empty = row.length() == (rows.isEmpty() ? head.length() : indent);
      if (!empty && row.length() + 1 + word.length() > width) {
        rows.add(row.toString());
        row = new StringBuilder(" ".repeat(indent));
        empty = true;
      }
      if (!empty) {
        row.append(' ');
      }
      row.append(word);
    }
    rows.add(row.toString());
    return String.join("\n", rows);
  }

  /** Where continuation lines start: after the synopsis prefix, under a table row's text, or at the paragraph's indent. */
  private static int indentOf(String line, int width, String synopsis) {
    if (synopsis != null && line.startsWith(synopsis)) {
      return synopsis.length();
    }
    int lead = 0;
    while (lead < line.length() && line.charAt(lead) == ' ') {
      lead++;
    }
    int gap = line.indexOf("  ", lead);
    if (gap > 0) {
      int text = gap;
      while (text < line.length() && line.charAt(text) == ' ') {
        text++;
      }
      if (text <= width / 2) {
        return text;
      }
    }
    return lead;
  }
}
