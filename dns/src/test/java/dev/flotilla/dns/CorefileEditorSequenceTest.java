package dev.flotilla.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Long seeded sequences of edits by several owners, checking the editor's invariants after each one. */
class CorefileEditorSequenceTest {

  private static final Pattern REGIONS = Pattern.compile(
      "(?m)^[ \\t]*# flotilla-dns BEGIN owner=(\\S+).*\\R(?s:.*?)^[ \\t]*# flotilla-dns END owner=\\1\\R");
  private static final String[] OWNERS = {"iflearnerjob/a/one", "iflearnerjob/b/two", "cli"};
  private static final String[] HOSTS = {"*.server.example.org", "*.a.party.example.org", "*.b.party.example.org",
      "exact.example.org", "*.server.other.net"};

  @ParameterizedTest
  @ValueSource(strings = {Corefiles.KUBEADM, Corefiles.K3S, Corefiles.IFLEARNER_README})
  @DisplayName("after any sequence of edits by several owners: each owner has exactly its records, re-applying "
      + "changes nothing, and the text outside the regions is the original")
  void randomSequences(String name) {
    String original = Corefiles.read(name);
    CorefileEditor editor = new CorefileEditor();
    Random random = new Random(name.hashCode());
    Map<String, SortedSet<DnsRecord>> expected = new TreeMap<>();
    Corefile current = Corefile.parse(original);

    for (int step = 0; step < 150; step++) {
      String owner = OWNERS[random.nextInt(OWNERS.length)];
      DnsEdit edit = randomEdit(random, owner);
      SortedSet<DnsRecord> mine = edit.applyTo(expected.getOrDefault(owner, new TreeSet<>()));
      if (mine.isEmpty()) {
        expected.remove(owner);
      } else {
        expected.put(owner, mine);
      }

      EditResult result = editor.apply(current, edit);
      current = result.corefile();

      assertThat(editor.managedRecords(current)).as("step %d: %s", step, edit).isEqualTo(expected);
      assertThat(editor.apply(current, edit).changed()).as("step %d re-applied: %s", step, edit).isFalse();
      assertThat(REGIONS.matcher(current.render()).replaceAll("")).as("step %d outside the regions", step)
          .isEqualTo(original);
    }
  }

  private static DnsEdit randomEdit(Random random, String owner) {
    List<DnsRecord> records = new ArrayList<>();
    List<String> hosts = new ArrayList<>(List.of(HOSTS));
    Collections.shuffle(hosts, random);
    int count = random.nextInt(3);
    for (int i = 0; i < count; i++) {
      String ip = random.nextBoolean() ? "10.0." + random.nextInt(3) + "." + (1 + random.nextInt(3)) : "fd00::" + (1 + random.nextInt(3));
      records.add(DnsRecord.of(hosts.get(i), ip));
    }
    switch (random.nextInt(4)) {
      case 0:
        return DnsEdit.replaceAll(owner, records);
      case 1:
        return DnsEdit.removeOwner(owner);
      default:
        List<String> removed = random.nextBoolean() ? List.of(hosts.get(count)) : List.of();
        return DnsEdit.change(owner, records, removed);
    }
  }
}
