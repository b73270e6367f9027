package dev.flotilla.dns;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;

/**
 * Fuzz harnesses of the Corefile model: the lexer and parser that read the cluster's CoreDNS
 * ConfigMap (text any person or tool may have written) and the editor that writes Flotilla's
 * records into it. Inputs are Corefile text as UTF-8; the committed inputs under
 * {@code CorefileFuzzTestInputs/} (real Corefiles and hand-made corner cases) are replayed by every
 * {@code mvn verify}; {@code bench/fuzz.sh} fuzzes.
 */
class CorefileFuzzTest {

  private static final String OWNER = "iflearnerjob/fuzz/job";
  private static final SortedSet<DnsRecord> RECORDS = new TreeSet<>(List.of(
      DnsRecord.of("*.server.fuzz.example.org", "10.0.0.1"), DnsRecord.of("*.a.party.fuzz.example.org", "fd00::2")));

  @FuzzTest
  @DisplayName("any text parses or is refused with CorefileParseException naming a line of the text; what parses "
      + "renders back byte for byte, and its tokens tile the text in order")
  void parseAndRender(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    Corefile corefile;
    try {
      corefile = Corefile.parse(text);
    } catch (CorefileParseException refused) {
      assertThat(refused.line()).isBetween(1, (int) text.chars().filter(c -> c == '\n').count() + 1);
      return;
    }
    assertThat(corefile.render()).isEqualTo(text);

    List<Token> tokens = CorefileLexer.tokens(text);
    int at = 0;
    int line = 1;
    for (Token t : tokens) {
      check(t.start >= at && t.end > t.start && t.end <= text.length(), "token %s spans [%d, %d) after %d", t, t.start,
          t.end, at);
      line += newlines(text, at, t.start);
      check(t.line == line, "token %s starts on line %d", t, line);
      line += newlines(text, t.start, t.end);
      check(t.endLine == line, "token %s ends on line %d", t, line);
      if (!t.quoted) {
        check(t.text.equals(text.substring(t.start, t.end)), "bare token %s is its source text", t);
        check(t.text.chars().noneMatch(c -> Character.isWhitespace(c) || c == '#'), "bare token %s", t);
      }
      check(corefile.insideToken(t.start) && corefile.insideToken(t.end - 1), "token %s is inside a token", t);
      at = t.end;
    }

    // the model reads the same from its own rendering, and every accessor works on it
    Corefile again = Corefile.parse(corefile.render());
    assertThat(again.toString()).isEqualTo(corefile.toString());
    for (ServerBlock block : corefile.serverBlocks()) {
      check(block.line() >= 1, "block line");
      block.keys().forEach(k -> block.serves(k));
      visit(block.directives());
    }
    corefile.serverBlock(CorefileEditor.DEFAULT_SERVER_BLOCK);
    corefile.imports().forEach(d -> check(!d.args().isEmpty(), "import %s has an argument", d));
  }

  @FuzzTest
  @DisplayName("writing an owner's records into any Corefile either refuses (parse or edit exception) or only inserts "
      + "text: the records read back, other owners keep theirs, a second apply changes nothing")
  void editManagedRegion(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    CorefileEditor editor = new CorefileEditor();
    EditResult result;
    try {
      result = editor.apply(text, DnsEdit.replaceAll(OWNER, RECORDS));
    } catch (CorefileParseException | CorefileEditException refused) {
      assertThat(refused.getMessage()).isNotBlank();
      return;
    }
    Corefile original = Corefile.parse(text);
    String edited = result.corefile().render();
    assertThat(result.after()).isEqualTo(RECORDS);
    assertThat(editor.managedRecords(Corefile.parse(edited)).get(OWNER)).isEqualTo(RECORDS);
    EditResult second = editor.apply(edited, DnsEdit.replaceAll(OWNER, RECORDS));
    assertThat(second.changed()).as("a second apply changes nothing").isFalse();

    SortedMap<String, SortedSet<DnsRecord>> before = editor.managedRecords(original);
    SortedMap<String, SortedSet<DnsRecord>> after = editor.managedRecords(result.corefile());
    for (Map.Entry<String, SortedSet<DnsRecord>> other : before.entrySet()) {
      if (!other.getKey().equals(OWNER)) {
        assertThat(after.get(other.getKey())).as("records of owner %s", other.getKey()).isEqualTo(other.getValue());
      }
    }
    if (!before.containsKey(OWNER)) {
      // a new region is an insertion: the original text is a prefix plus a suffix of the edited one
      int prefix = 0;
      while (prefix < text.length() && text.charAt(prefix) == edited.charAt(prefix)) {
        prefix++;
      }
      int suffix = 0;
      while (suffix < text.length() - prefix
          && text.charAt(text.length() - 1 - suffix) == edited.charAt(edited.length() - 1 - suffix)) {
        suffix++;
      }
      assertThat(prefix + suffix).as("bytes of the original kept around the insertion").isEqualTo(text.length());
    }
    EditResult removed = editor.apply(edited, DnsEdit.removeOwner(OWNER));
    assertThat(editor.managedRecords(removed.corefile())).doesNotContainKey(OWNER);
  }

  private static void visit(List<Directive> directives) {
    for (Directive d : directives) {
      check(!d.name().isEmpty() || d.line() >= 1, "directive %s", d);
      check(d.hasBlock() || d.block().isEmpty(), "directive %s without a block has no children", d);
      d.toString();
      visit(d.block());
    }
  }

  private static int newlines(String text, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      if (text.charAt(i) == '\n') {
        n++;
      }
    }
    return n;
  }

  /** An assertion for the inner loops, where AssertJ's per-call cost would dominate a fuzzing run. */
  private static void check(boolean condition, String message, Object... args) {
    if (!condition) {
      throw new AssertionError(String.format(message, args));
    }
  }
}
