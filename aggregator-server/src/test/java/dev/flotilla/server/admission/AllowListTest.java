package dev.flotilla.server.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllowListTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("no names and no file: enrollment is open, anyone is allowed")
  void open() {
    AllowList list = AllowList.of("j", List.of());
    assertThat(list.isOpen()).isTrue();
    assertThat(list.allows("anyone")).isTrue();
    assertThat(list.names()).isEmpty();
  }

  @Test
  @DisplayName("the file holds one name per line; '#' starts a comment, blank lines are skipped; --allow-party adds to it")
  void parse() throws Exception {
    Path file = Files.writeString(dir.resolve("allow"), "# parties\n alice \r\nbob # the second\n\n#carol\n");
    AllowList list = new AllowList("j", List.of("dave"), file);
    assertThat(list.isOpen()).isFalse();
    assertThat(list.names()).containsExactly("alice", "bob", "dave");
    assertThat(list.allows("bob")).isTrue();
    assertThat(list.allows("carol")).isFalse();
    assertThat(list.source()).isEqualTo("--allow-party and --allow-party-file " + file);
  }

  @Test
  @DisplayName("a given file restricts enrollment even while it names nobody")
  void emptyFileIsNotOpen() throws Exception {
    AllowList list = new AllowList("j", List.of(), Files.writeString(dir.resolve("allow"), "# nobody yet\n"));
    assertThat(list.isOpen()).isFalse();
    assertThat(list.allows("alice")).isFalse();
  }

  @Test
  @DisplayName("refresh() reads the file again after it was replaced (as a ConfigMap volume swaps it) and says whether the names changed")
  void refresh() throws Exception {
    Path file = Files.writeString(dir.resolve("allow"), "alice\n");
    AllowList list = new AllowList("j", List.of(), file);
    assertThat(list.refresh()).isFalse();
    replace(file, "alice\nbob\n");
    assertThat(list.allows("bob")).as("not before refresh()").isFalse();
    assertThat(list.refresh()).isTrue();
    assertThat(list.allows("bob")).isTrue();
    replace(file, "bob\nalice\n# same names\n");
    assertThat(list.refresh()).isFalse();
    assertThat(list.names()).containsExactly("alice", "bob");
  }

  @Test
  @DisplayName("a file that goes missing or turns malformed keeps the last good list")
  void badReload() throws Exception {
    Path file = Files.writeString(dir.resolve("allow"), "alice\n");
    AllowList list = new AllowList("j", List.of(), file);
    replace(file, "two names on one line\n");
    assertThat(list.refresh()).isFalse();
    assertThat(list.names()).containsExactly("alice");
    Files.delete(file);
    assertThat(list.refresh()).isFalse();
    assertThat(list.allows("alice")).isTrue();
    Files.writeString(file, "carol\n");
    assertThat(list.refresh()).isTrue();
    assertThat(list.names()).containsExactly("carol");
  }

  @Test
  @DisplayName("at start-up an unreadable, oversized or malformed file is a usage error naming the flag")
  void startUp() throws Exception {
    assertThatThrownBy(() -> new AllowList("j", List.of(), dir.resolve("missing")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("--allow-party-file " + dir.resolve("missing"));
    Path big = Files.write(dir.resolve("big"), new byte[AllowList.MAX_FILE_BYTES + 1]);
    assertThatThrownBy(() -> new AllowList("j", List.of(), big))
        .hasMessage("--allow-party-file " + big + ": larger than 1048576 bytes");
    Path bad = Files.writeString(dir.resolve("bad"), "alice\nbob carol\n");
    assertThatThrownBy(() -> new AllowList("j", List.of(), bad))
        .hasMessage("--allow-party-file " + bad + ": line 2 is not one party name");
    assertThatThrownBy(() -> AllowList.of("j", List.of("a b"))).hasMessage("--allow-party 'a b' is not a party name");
  }

  private static void replace(Path file, String content) throws IOException {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.writeString(next, content);
    Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
