package dev.flotilla.dns;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Writes CoreDNS {@code template} records into managed regions of one server block ({@code .:53}
 * unless told otherwise). Each owner has its own region, between two comment lines:
 *
 * <pre>
 *     # flotilla-dns BEGIN owner=iflearnerjob/default/mnist (managed by Flotilla; edits inside are overwritten)
 *     template IN A server.example.org {
 *         match ^.+\.server\.example\.org\.$
 *         answer "{{ .Name }} 60 IN A 10.0.0.1"
 *         fallthrough
 *     }
 *     # flotilla-dns END owner=iflearnerjob/default/mnist
 * </pre>
 *
 * <p>A new region goes at the end of the block; an existing one is rewritten in place; an owner
 * with no records left loses its region. The {@code reload} plugin is added to the block (once,
 * just above the region) when it is missing, so CoreDNS picks the change up without a restart.
 * Every byte outside the region (and that one {@code reload} line) stays as it was, and applying
 * the same edit twice changes nothing. Records are written sorted, so equal sets give equal text.
 */
public final class CorefileEditor {

  /** The server block that serves the cluster in kubeadm's and k3s's default Corefiles. */
  public static final String DEFAULT_SERVER_BLOCK = ".:53";

  static final String MARKER_PREFIX = "flotilla-dns";
  private static final Pattern MARKER =
      Pattern.compile("#\\s*" + MARKER_PREFIX + "\\s+(BEGIN|END)\\s+owner=(\\S+).*");
  private static final String BEGIN_NOTE = " (managed by Flotilla; edits inside are overwritten)";

  private final String serverBlockKey;

  /** An editor for the {@code .:53} block. */
  public CorefileEditor() {
    this(DEFAULT_SERVER_BLOCK);
  }

  /** An editor for the server block with key {@code serverBlockKey}, e.g. {@code .:53} or {@code cluster.local:53}. */
  public CorefileEditor(String serverBlockKey) {
    this.serverBlockKey = Objects.requireNonNull(serverBlockKey, "serverBlockKey");
  }

  public String serverBlockKey() {
    return serverBlockKey;
  }

  /** Parses {@code corefileText} and applies {@code edit}; see {@link #apply(Corefile, DnsEdit)}. */
  public EditResult apply(String corefileText, DnsEdit edit) {
    return apply(Corefile.parse(corefileText), edit);
  }

  /**
   * Applies {@code edit} to the owner's region.
   *
   * @throws CorefileEditException when there is no such server block, region markers are broken,
   *     or (for {@link DnsEdit#change}) the owner's region holds content Flotilla did not write
   * @throws NameClaimedException when an exclusive edit ({@link DnsEdit#claim}) wants a name
   *     that an earlier region of another owner answers
   */
  public EditResult apply(Corefile corefile, DnsEdit edit) {
    ServerBlock block = targetBlock(corefile);
    List<Region> regions = regions(corefile, block);
    Region own = null;
    for (Region r : regions) {
      if (r.owner.equals(edit.owner())) {
        own = r;
      }
    }
    if (edit.exclusive()) {
      checkUnclaimed(regions, own, edit);
    }
    SortedSet<DnsRecord> before = new TreeSet<>();
    if (own != null) {
      try {
        before = records(own);
      } catch (CorefileEditException e) {
        if (!edit.replacesAll()) {
          throw e; // an incremental change must not drop what it cannot read
        }
      }
    }
    SortedSet<DnsRecord> after = edit.applyTo(before);

    String source = corefile.source();
    String nl = source.contains("\r\n") ? "\r\n" : "\n";
    String indent = indent(source, block);
    String regionText = after.isEmpty() ? "" : renderRegion(edit.owner(), after, indent, nl);
    boolean addReload = !after.isEmpty() && block.directive("reload").isEmpty();
    String inserted = (addReload ? indent + "reload" + nl : "") + regionText;

    String edited;
    if (own != null) {
      edited = source.substring(0, own.start) + inserted + source.substring(own.end);
    } else if (!inserted.isEmpty()) {
      int close = block.closeBrace().start;
      int lineStart = source.lastIndexOf('\n', close - 1) + 1;
      if (lineStart > block.openBrace().end && source.substring(lineStart, close).isBlank()) {
        edited = source.substring(0, lineStart) + inserted + source.substring(lineStart);
      } else {
        // the '}' shares its line with other text: the region goes on lines of its own before it. Step
        // back over carriage returns so the inserted "\n" makes no new "\r\n", which would switch the
        // next edit to CRLF and make it rewrite the region (a second apply must change nothing)
        int at = close;
        while (nl.equals("\n") && at > block.openBrace().end && source.charAt(at - 1) == '\r') {
          at--;
        }
        edited = source.substring(0, at) + nl + inserted + source.substring(at);
      }
    } else {
      edited = source;
    }
    if (edited.equals(source)) {
      return new EditResult(corefile, false, unmodifiable(before), unmodifiable(after));
    }
    return new EditResult(Corefile.parse(edited), true, unmodifiable(before), unmodifiable(after));
  }

  /**
   * The records of every owner in the target block, by owner.
   *
   * @throws CorefileEditException when a region cannot be read
   */
  public SortedMap<String, SortedSet<DnsRecord>> managedRecords(Corefile corefile) {
    SortedMap<String, SortedSet<DnsRecord>> out = new TreeMap<>();
    for (Region r : regions(corefile, targetBlock(corefile))) {
      out.put(r.owner, unmodifiable(records(r)));
    }
    return Collections.unmodifiableSortedMap(out);
  }

  /**
   * Regions come in the order they were first written (new ones are appended), and CoreDNS answers
   * with the first template that matches: so the holder of a name is the earliest region that
   * answers it. A claimant is refused any name an earlier region of another owner answers; a
   * region that cannot be read still holds whatever it might answer, so it refuses every claim.
   */
  private static void checkUnclaimed(List<Region> regions, Region own, DnsEdit edit) {
    for (Region r : regions) {
      if (r == own) {
        return;
      }
      SortedSet<DnsRecord> held;
      try {
        held = records(r);
      } catch (CorefileEditException e) {
        throw new CorefileEditException(e.getMessage() + " (the names it answers are unknown, so no other owner may claim a name)");
      }
      for (DnsRecord wanted : edit.records()) {
        for (DnsRecord h : held) {
          if (h.overlaps(wanted)) {
            throw new NameClaimedException(wanted.host(), r.owner, edit.owner());
          }
        }
      }
    }
  }

  /** The {@code template} block CoreDNS needs for one record, lines indented by {@code indent}. */
  static String renderTemplate(DnsRecord r, String indent, String nl) {
    String inner = indent + (indent.contains("\t") ? "\t" : "    ");
    return indent + "template IN " + r.type() + " " + r.zone() + " {" + nl
        + inner + "match " + matchRegex(r) + nl
        + inner + "answer \"{{ .Name }} " + DnsRecord.TTL_SECONDS + " IN " + r.type() + " " + r.address() + "\"" + nl
        + inner + "fallthrough" + nl
        + indent + "}" + nl;
  }

  /** RE2 pattern for the query name (lower case, trailing dot) the record answers. */
  static String matchRegex(DnsRecord r) {
    String zone = r.zone().replace(".", "\\.");
    return (r.isWildcard() ? "^.+\\." : "^") + zone + "\\.$";
  }

  private static String renderRegion(String owner, SortedSet<DnsRecord> records, String indent, String nl) {
    StringBuilder out = new StringBuilder();
    out.append(indent).append("# ").append(MARKER_PREFIX).append(" BEGIN owner=").append(owner).append(BEGIN_NOTE).append(nl);
    for (DnsRecord r : records) {
      out.append(renderTemplate(r, indent, nl));
    }
    out.append(indent).append("# ").append(MARKER_PREFIX).append(" END owner=").append(owner).append(nl);
    return out.toString();
  }

  private ServerBlock targetBlock(Corefile corefile) {
    return corefile.serverBlock(serverBlockKey).orElseThrow(() -> new CorefileEditException(
        "Corefile has no server block for '" + serverBlockKey + "' (blocks: "
            + corefile.serverBlocks().stream().map(b -> String.join(" ", b.keys())).collect(Collectors.joining(", "))
            + ")"));
  }

  /** Indentation of the block's first directive that starts its own line; four spaces when none does. */
  private static String indent(String source, ServerBlock block) {
    for (Directive d : block.directives()) {
      int lineStart = source.lastIndexOf('\n', d.startOffset() - 1) + 1;
      String before = source.substring(lineStart, d.startOffset());
      if (lineStart > block.openBrace().start && before.isBlank()) {
        return before;
      }
    }
    return "    ";
  }

  private static final class Region {
    final String owner;
    final int start;
    final int end;
    final int line;
    final List<Directive> directives = new ArrayList<>();

    Region(String owner, int start, int end, int line) {
      this.owner = owner;
      this.start = start;
      this.end = end;
      this.line = line;
    }
  }

  private static List<Region> regions(Corefile corefile, ServerBlock block) {
    String src = corefile.source();
    int from = block.openBrace().end;
    int to = block.closeBrace().start;
    List<Region> out = new ArrayList<>();
    String openOwner = null;
    int openStart = -1;
    int openLine = -1;
    int pos = from;
    while (pos < to) {
      int hash = src.indexOf('#', pos);
      if (hash < 0 || hash >= to) {
        break;
      }
      if (corefile.insideToken(hash)) {
        pos = hash + 1;
        continue;
      }
      int eol = src.indexOf('\n', hash);
      int lineEnd = eol < 0 ? src.length() : eol;
      pos = lineEnd;
      Matcher m = MARKER.matcher(src.substring(hash, lineEnd).stripTrailing());
      if (!m.matches()) {
        continue;
      }
      int line = lineOf(src, hash);
      int lineStart = src.lastIndexOf('\n', hash - 1) + 1;
      if (!src.substring(lineStart, hash).isBlank()) {
        throw new CorefileEditException("Corefile line " + line + ": a " + MARKER_PREFIX + " marker must be on a line of its own");
      }
      String owner = m.group(2);
      if (m.group(1).equals("BEGIN")) {
        if (openOwner != null) {
          throw new CorefileEditException("Corefile line " + line + ": region of owner '" + owner
              + "' begins inside the region of owner '" + openOwner + "' (line " + openLine + ")");
        }
        for (Region r : out) {
          if (r.owner.equals(owner)) {
            throw new CorefileEditException("Corefile line " + line + ": second region of owner '" + owner
                + "' (the first is at line " + r.line + ")");
          }
        }
        openOwner = owner;
        openStart = lineStart;
        openLine = line;
      } else {
        if (!owner.equals(openOwner)) {
          throw new CorefileEditException("Corefile line " + line + ": END of owner '" + owner
              + "' without its BEGIN" + (openOwner == null ? "" : " (open region: '" + openOwner + "' at line " + openLine + ")"));
        }
        out.add(new Region(owner, openStart, eol < 0 ? src.length() : eol + 1, openLine));
        openOwner = null;
      }
    }
    if (openOwner != null) {
      throw new CorefileEditException("Corefile line " + openLine + ": region of owner '" + openOwner + "' has no END marker");
    }
    for (Directive d : block.directives()) {
      for (Region r : out) {
        boolean startsInside = d.startOffset() >= r.start && d.startOffset() < r.end;
        boolean endsInside = d.endOffset() > r.start && d.endOffset() <= r.end;
        if (startsInside != endsInside) {
          throw new CorefileEditException("Corefile line " + d.line() + ": directive '" + d.name()
              + "' crosses the boundary of the region of owner '" + r.owner + "' (line " + r.line + ")");
        }
        if (startsInside) {
          r.directives.add(d);
        }
      }
    }
    return out;
  }

  private static SortedSet<DnsRecord> records(Region region) {
    SortedSet<DnsRecord> out = new TreeSet<>();
    for (Directive d : region.directives) {
      out.add(record(region, d));
    }
    return out;
  }

  private static DnsRecord record(Region region, Directive d) {
    List<String> args = d.args();
    String match = null;
    String answer = null;
    for (Directive option : d.block()) {
      if (option.name().equals("match") && option.args().size() == 1) {
        match = option.args().get(0);
      } else if (option.name().equals("answer") && option.args().size() == 1) {
        answer = option.args().get(0);
      }
    }
    if (!d.name().equals("template") || args.size() != 3 || !args.get(0).equals("IN") || match == null || answer == null) {
      throw handEdited(region, d);
    }
    String[] answerParts = answer.trim().split("\\s+");
    String ip = answerParts[answerParts.length - 1];
    String zone = args.get(2);
    DnsRecord exact;
    try {
      exact = DnsRecord.of(zone, ip);
    } catch (InvalidRecordException e) {
      throw handEdited(region, d);
    }
    DnsRecord r = match.equals(matchRegex(exact)) ? exact : DnsRecord.of("*." + exact.host(), exact.address());
    if (!match.equals(matchRegex(r)) || !args.get(1).equals(r.type().name())) {
      throw handEdited(region, d);
    }
    return r;
  }

  private static CorefileEditException handEdited(Region region, Directive d) {
    return new CorefileEditException("Corefile line " + d.line() + ": '" + d + "' in the region of owner '"
        + region.owner + "' is not a record Flotilla wrote; move it out of the region or remove it");
  }

  private static int lineOf(String src, int offset) {
    int line = 1;
    for (int i = 0; i < offset; i++) {
      if (src.charAt(i) == '\n') {
        line++;
      }
    }
    return line;
  }

  private static SortedSet<DnsRecord> unmodifiable(SortedSet<DnsRecord> set) {
    return Collections.unmodifiableSortedSet(new TreeSet<>(set));
  }
}
