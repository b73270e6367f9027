package dev.flotilla.server.admission;

import dev.flotilla.protocol.tls.FileStamp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The party identities that may hold a slot in the job: the names given with --allow-party plus
 * those in --allow-party-file (one name per line, {@code #} starts a comment). The file is read
 * again whenever it changes (inode, size or modification time: a Kubernetes ConfigMap volume swaps
 * a symlink, an editor renames or rewrites), so a new list takes effect without a restart; a file
 * that cannot be read or is malformed keeps the last good list, with a warning. Empty in both =
 * open enrollment. Not thread-safe (the coordinator's lock guards it).
 */
public final class AllowList {

  private static final Logger log = LoggerFactory.getLogger(AllowList.class);
  /** A hostile or mistaken file costs at most this much to read. */
  static final int MAX_FILE_BYTES = 1 << 20;
  static final int MAX_NAMES = 10_000;
  static final int MAX_NAME_LENGTH = 253;

  private final String jobId;
  private final Set<String> fixed;
  private final Path file;
  private Set<String> fromFile = Set.of();
  private FileStamp stamp;
  private FileStamp failedStamp;

  /**
   * @throws IllegalArgumentException when the file cannot be read or is malformed at start-up (a usage error)
   */
  public AllowList(String jobId, Collection<String> names, Path file) {
    this.jobId = jobId;
    this.fixed = Set.copyOf(names);
    this.file = file;
    for (String name : fixed) {
      if (name.isBlank() || name.length() > MAX_NAME_LENGTH || name.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("--allow-party '" + name + "' is not a party name");
      }
    }
    if (file != null) {
      stamp = FileStamp.of(file);
      try {
        fromFile = read(file);
      } catch (IOException e) {
        throw new IllegalArgumentException("--allow-party-file " + file + ": " + e.getMessage(), e);
      }
    }
  }

  /** An allow-list of fixed names only (none = open enrollment). */
  public static AllowList of(String jobId, Collection<String> names) {
    return new AllowList(jobId, names, null);
  }

  /**
   * True when no list restricts enrollment: any party identity of the job may take a free slot. A
   * given file always restricts, even while it names nobody.
   */
  public boolean isOpen() {
    return file == null && fixed.isEmpty();
  }

  /** Whether the list (as last read, see {@link #refresh()}) lets the party hold a slot. */
  public boolean allows(String party) {
    return isOpen() || fixed.contains(party) || fromFile.contains(party);
  }

  /** The names on the list as last read, sorted (empty when enrollment is open). */
  public Set<String> names() {
    Set<String> all = new TreeSet<>(fixed);
    all.addAll(fromFile);
    return all;
  }

  /** Where the list comes from, for refusals: "--allow-party", "--allow-party-file f" or both. */
  public String source() {
    if (file == null) {
      return "--allow-party";
    }
    return fixed.isEmpty() ? "--allow-party-file " + file : "--allow-party and --allow-party-file " + file;
  }

  /**
   * Re-reads the file if it changed since the last read; returns true when the list of names changed.
   */
  public boolean refresh() {
    if (file == null) {
      return false;
    }
    FileStamp now = FileStamp.of(file);
    if (now.equals(stamp) || now.equals(failedStamp)) {
      return false;
    }
    Set<String> next;
    try {
      next = read(file);
    } catch (IOException e) {
      failedStamp = now;
      log.warn("job {}: cannot re-read --allow-party-file {}: {}; keeping the previous list {}", jobId, file,
          e.getMessage(), fromFile);
      return false;
    }
    stamp = now;
    failedStamp = null;
    if (next.equals(fromFile)) {
      return false;
    }
    Set<String> added = new TreeSet<>(next);
    added.removeAll(fromFile);
    Set<String> removed = new TreeSet<>(fromFile);
    removed.removeAll(next);
    fromFile = next;
    log.info("job {}: --allow-party-file {} changed: now {} (added {}, removed {})", jobId, file, new TreeSet<>(next),
        added, removed);
    return true;
  }

  /** One name per line; '#' to the end of the line is a comment; blank lines are skipped. */
  static Set<String> parse(String text) throws IOException {
    Set<String> names = new LinkedHashSet<>();
    int lineNumber = 0;
    for (String line : text.split("\r?\n", -1)) {
      lineNumber++;
      int hash = line.indexOf('#');
      String name = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (name.isEmpty()) {
        continue;
      }
      if (name.length() > MAX_NAME_LENGTH || name.chars().anyMatch(Character::isWhitespace)) {
        throw new IOException("line " + lineNumber + " is not one party name");
      }
      names.add(name);
      if (names.size() > MAX_NAMES) {
        throw new IOException("more than " + MAX_NAMES + " names");
      }
    }
    return Set.copyOf(names);
  }

  private static Set<String> read(Path file) throws IOException {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    }
    if (bytes.length > MAX_FILE_BYTES) {
      throw new IOException("larger than " + MAX_FILE_BYTES + " bytes");
    }
    return parse(new String(bytes, StandardCharsets.UTF_8));
  }
}
