package dev.flotilla.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CorefileEditorTest {

  private static final String JOB = "iflearnerjob/default/mnist";
  private static final DnsRecord SERVER = DnsRecord.of("*.server.example.org", "10.0.0.1");
  private static final DnsRecord PARTY_A = DnsRecord.of("*.a.party.example.org", "10.0.0.2");
  private static final DnsRecord PARTY_B6 = DnsRecord.of("b.party.example.org", "fd00::3");

  private final CorefileEditor editor = new CorefileEditor();

  private static final String KUBEADM_WITH_SERVER_AND_PARTY =
      Corefiles.read(Corefiles.KUBEADM).replace("    loadbalance\n}\n", "    loadbalance\n"
          + "    # flotilla-dns BEGIN owner=iflearnerjob/default/mnist (managed by Flotilla; edits inside are overwritten)\n"
          + "    template IN A a.party.example.org {\n"
          + "        match ^.+\\.a\\.party\\.example\\.org\\.$\n"
          + "        answer \"{{ .Name }} 60 IN A 10.0.0.2\"\n"
          + "        fallthrough\n"
          + "    }\n"
          + "    template IN A server.example.org {\n"
          + "        match ^.+\\.server\\.example\\.org\\.$\n"
          + "        answer \"{{ .Name }} 60 IN A 10.0.0.1\"\n"
          + "        fallthrough\n"
          + "    }\n"
          + "    # flotilla-dns END owner=iflearnerjob/default/mnist\n"
          + "}\n");

  @Test
  @DisplayName("records go into a marked region at the end of the .:53 block, sorted, and nothing else changes")
  void addToKubeadm() {
    EditResult result = editor.apply(Corefiles.read(Corefiles.KUBEADM), DnsEdit.replaceAll(JOB, List.of(SERVER, PARTY_A)));

    assertThat(result.changed()).isTrue();
    assertThat(result.corefile().render()).isEqualTo(KUBEADM_WITH_SERVER_AND_PARTY);
    assertThat(result.before()).isEmpty();
    assertThat(result.after()).containsExactly(PARTY_A, SERVER);
  }

  @ParameterizedTest
  @ValueSource(strings = {Corefiles.KUBEADM, Corefiles.K3S, Corefiles.IFLEARNER_README})
  @DisplayName("removing the region again gives back the original bytes when reload was already there")
  void addThenRemoveRestoresOriginal(String name) {
    String original = Corefiles.read(name);
    EditResult added = editor.apply(original, DnsEdit.replaceAll(JOB, List.of(SERVER, PARTY_B6)));

    EditResult removed = editor.apply(added.corefile(), DnsEdit.removeOwner(JOB));

    assertThat(added.changed()).isTrue();
    assertThat(removed.changed()).isTrue();
    assertThat(removed.before()).containsExactly(PARTY_B6, SERVER);
    assertThat(removed.corefile().render()).isEqualTo(original);
  }

  @ParameterizedTest
  @ValueSource(strings = {Corefiles.KUBEADM, Corefiles.K3S, Corefiles.IFLEARNER_README, Corefiles.TORTURE})
  @DisplayName("applying the same records twice changes nothing the second time")
  void idempotent(String name) {
    EditResult first = editor.apply(Corefiles.read(name), DnsEdit.replaceAll(JOB, List.of(SERVER, PARTY_A, PARTY_B6)));

    EditResult second = editor.apply(first.corefile(), DnsEdit.replaceAll(JOB, List.of(PARTY_B6, SERVER, PARTY_A)));
    EditResult third = editor.apply(second.corefile(), DnsEdit.change(JOB, List.of(SERVER), List.of()));

    assertThat(second.changed()).isFalse();
    assertThat(third.changed()).isFalse();
    assertThat(third.corefile().render()).isEqualTo(first.corefile().render());
  }

  @Test
  @DisplayName("a block closed on the line it opens, after a lone carriage return, is edited once: the insertion "
      + "creates no CRLF, so a second apply changes nothing (fuzzer finding)")
  void loneCarriageReturnBeforeClosingBrace() {
    String text = ".:53 {\r}\n";
    EditResult first = editor.apply(text, DnsEdit.replaceAll(JOB, List.of(SERVER)));
    String edited = first.corefile().render();

    assertThat(edited).doesNotContain("\r\n");
    assertThat(edited).startsWith(".:53 {\n").endsWith("\r}\n");
    assertThat(editor.managedRecords(first.corefile()).get(JOB)).containsExactly(SERVER);
    assertThat(editor.apply(edited, DnsEdit.replaceAll(JOB, List.of(SERVER))).changed()).isFalse();
  }

  @Test
  @DisplayName("a block without reload gets it once, just above the region, and keeps one through later edits")
  void reloadAddedOnce() {
    String original = ".:53 {\n    errors\n    forward . /etc/resolv.conf\n}\n";

    EditResult first = editor.apply(original, DnsEdit.replaceAll(JOB, List.of(SERVER)));
    EditResult second = editor.apply(first.corefile(), DnsEdit.replaceAll(JOB, List.of(SERVER, PARTY_A)));
    EditResult third = editor.apply(second.corefile(), DnsEdit.replaceAll("other", List.of(PARTY_B6)));

    assertThat(first.corefile().render()).startsWith(".:53 {\n    errors\n    forward . /etc/resolv.conf\n    reload\n"
        + "    # flotilla-dns BEGIN owner=" + JOB);
    for (EditResult r : List.of(first, second, third)) {
      assertThat(r.corefile().serverBlock(".:53").orElseThrow().directives())
          .filteredOn(d -> d.name().equals("reload")).hasSize(1);
    }
  }

  @Test
  @DisplayName("removing the region of a block that had no reload leaves exactly one added reload line")
  void removeKeepsAddedReload() {
    String original = Corefiles.read(Corefiles.TORTURE);
    EditResult added = editor.apply(original, DnsEdit.replaceAll(JOB, List.of(SERVER)));

    String removed = editor.apply(added.corefile(), DnsEdit.removeOwner(JOB)).corefile().render();

    assertThat(removed).isEqualTo(original.replace("    health_check 5s\r\n  }\r\n}", "    health_check 5s\r\n  }\r\n  reload\r\n}"));
  }

  @Test
  @DisplayName("changing an address rewrites the region in place and leaves the bytes before and after it alone")
  void updateInPlace() {
    String withRegion = KUBEADM_WITH_SERVER_AND_PARTY.replace("    loadbalance\n    # flotilla",
        "    loadbalance\n    # flotilla").replace("# flotilla-dns END owner=" + JOB + "\n}\n",
        "# flotilla-dns END owner=" + JOB + "\n    # a person's note after the region\n}\n");

    EditResult result = editor.apply(withRegion,
        DnsEdit.change(JOB, List.of(DnsRecord.of("*.server.example.org", "10.9.9.9")), List.of()));

    assertThat(result.corefile().render()).isEqualTo(withRegion.replace("IN A 10.0.0.1\"", "IN A 10.9.9.9\""));
    assertThat(result.before()).containsExactly(PARTY_A, SERVER);
    assertThat(result.after()).containsExactly(PARTY_A, DnsRecord.of("*.server.example.org", "10.9.9.9"));
  }

  @Test
  @DisplayName("removing a host keeps the owner's other records; removing the last one removes the region")
  void removeHosts() {
    EditResult one = editor.apply(KUBEADM_WITH_SERVER_AND_PARTY, DnsEdit.change(JOB, List.of(), List.of("*.a.party.example.org")));
    EditResult none = editor.apply(one.corefile(), DnsEdit.change(JOB, List.of(), List.of("*.server.example.org")));

    assertThat(one.after()).containsExactly(SERVER);
    assertThat(one.corefile().render()).doesNotContain("a.party").contains("server.example.org");
    assertThat(none.corefile().render()).isEqualTo(Corefiles.read(Corefiles.KUBEADM));
  }

  @Test
  @DisplayName("removing a host that has no record, or an owner that has no region, changes nothing")
  void removeAbsent() {
    String kubeadm = Corefiles.read(Corefiles.KUBEADM);

    assertThat(editor.apply(kubeadm, DnsEdit.removeOwner(JOB)).changed()).isFalse();
    assertThat(editor.apply(KUBEADM_WITH_SERVER_AND_PARTY, DnsEdit.change(JOB, List.of(), List.of("nothere.example.org")))
        .changed()).isFalse();
    assertThat(editor.apply(kubeadm, DnsEdit.replaceAll(JOB, List.of())).corefile().render()).isEqualTo(kubeadm);
  }

  @Test
  @DisplayName("owners have separate regions: editing or removing one never touches another's records")
  void ownersAreIndependent() {
    EditResult a = editor.apply(Corefiles.read(Corefiles.K3S), DnsEdit.replaceAll("job-a", List.of(SERVER)));
    EditResult ab = editor.apply(a.corefile(), DnsEdit.replaceAll("job-b", List.of(PARTY_A)));
    EditResult aChanged = editor.apply(ab.corefile(), DnsEdit.replaceAll("job-a", List.of(PARTY_B6)));
    EditResult bOnly = editor.apply(aChanged.corefile(), DnsEdit.removeOwner("job-a"));

    assertThat(editor.managedRecords(aChanged.corefile())).isEqualTo(Map.of(
        "job-a", new java.util.TreeSet<>(List.of(PARTY_B6)), "job-b", new java.util.TreeSet<>(List.of(PARTY_A))));
    assertThat(editor.managedRecords(bOnly.corefile())).containsOnlyKeys("job-b");
    assertThat(editor.apply(bOnly.corefile(), DnsEdit.removeOwner("job-b")).corefile().render())
        .isEqualTo(Corefiles.read(Corefiles.K3S));
  }

  @Test
  @DisplayName("the template written for each record answers the names it should and no others")
  void templateSemantics() {
    Corefile cf = editor.apply(Corefiles.read(Corefiles.KUBEADM),
        DnsEdit.replaceAll(JOB, List.of(SERVER, DnsRecord.of("exact.example.org", "10.0.0.4"), PARTY_B6))).corefile();

    Map<String, Directive> byZone = new java.util.HashMap<>();
    cf.serverBlock(".:53").orElseThrow().directives().stream().filter(d -> d.name().equals("template"))
        .forEach(d -> byZone.put(d.args().get(2), d));

    Directive server = byZone.get("server.example.org");
    assertThat(server.args()).containsExactly("IN", "A", "server.example.org");
    Pattern serverMatch = Pattern.compile(option(server, "match"));
    assertThat(serverMatch.matcher("job1.server.example.org.").matches()).isTrue();
    assertThat(serverMatch.matcher("a.b.server.example.org.").matches()).isTrue();
    assertThat(serverMatch.matcher("server.example.org.").matches()).isFalse();
    assertThat(serverMatch.matcher("evilserver.example.org.").matches()).isFalse();
    assertThat(option(server, "answer")).isEqualTo("{{ .Name }} 60 IN A 10.0.0.1");
    assertThat(names(server)).containsExactly("match", "answer", "fallthrough");

    Pattern exact = Pattern.compile(option(byZone.get("exact.example.org"), "match"));
    assertThat(exact.matcher("exact.example.org.").matches()).isTrue();
    assertThat(exact.matcher("x.exact.example.org.").matches()).isFalse();
    assertThat(byZone.get("b.party.example.org").args()).containsExactly("IN", "AAAA", "b.party.example.org");
    assertThat(option(byZone.get("b.party.example.org"), "answer")).isEqualTo("{{ .Name }} 60 IN AAAA fd00::3");
  }

  @Test
  @DisplayName("a CRLF Corefile gets CRLF lines in the region, and the lines around it keep theirs")
  void crlf() {
    String original = ".:53 {\r\n    errors\r\n    reload\r\n}\r\n";

    String edited = editor.apply(original, DnsEdit.replaceAll(JOB, List.of(SERVER))).corefile().render();

    assertThat(edited).startsWith(".:53 {\r\n    errors\r\n    reload\r\n    # flotilla-dns BEGIN").endsWith("END owner=" + JOB + "\r\n}\r\n");
    assertThat(edited.replace("\r\n", "")).doesNotContain("\n");
  }

  @Test
  @DisplayName("the region follows the block's indentation (tabs) and works when '}' shares a line")
  void indentationAndInlineClose() {
    String tabs = ".:53 {\n\terrors\n\treload\n}\n";
    String inline = ".:53 { whoami }\n";

    String tabbed = editor.apply(tabs, DnsEdit.replaceAll(JOB, List.of(SERVER))).corefile().render();
    EditResult inlined = editor.apply(inline, DnsEdit.replaceAll(JOB, List.of(SERVER)));

    assertThat(tabbed).contains("\n\ttemplate IN A server.example.org {\n\t\tmatch ");
    assertThat(inlined.corefile().render()).startsWith(".:53 { whoami \n    reload\n    # flotilla-dns BEGIN");
    assertThat(editor.apply(inlined.corefile(), DnsEdit.replaceAll(JOB, List.of(SERVER))).changed()).isFalse();
  }

  @Test
  @DisplayName("another server block can be targeted; the .:53 block then stays untouched")
  void otherServerBlock() {
    String torture = Corefiles.read(Corefiles.TORTURE);

    EditResult result = new CorefileEditor("example.net:5353").apply(torture, DnsEdit.replaceAll(JOB, List.of(SERVER)));

    ServerBlock example = result.corefile().serverBlock("example.org:5353").orElseThrow();
    assertThat(example.directives()).extracting(Directive::name).contains("template", "reload");
    assertThat(result.corefile().serverBlock(".:53").orElseThrow().directives()).extracting(Directive::name)
        .doesNotContain("reload");
  }

  @Nested
  @DisplayName("when the Corefile cannot be edited safely")
  class Refusals {
    @Test
    @DisplayName("a Corefile without the target block is refused, naming the key and the blocks there are")
    void noBlock() {
      assertThatThrownBy(() -> new CorefileEditor(".:5353").apply(Corefiles.read(Corefiles.KUBEADM), DnsEdit.removeOwner(JOB)))
          .isInstanceOf(CorefileEditException.class)
          .hasMessage("Corefile has no server block for '.:5353' (blocks: .:53)");
    }

    @Test
    @DisplayName("a BEGIN marker without END is refused with its line")
    void unterminatedRegion() {
      String broken = KUBEADM_WITH_SERVER_AND_PARTY.replace("    # flotilla-dns END owner=" + JOB + "\n", "");

      assertThatThrownBy(() -> editor.apply(broken, DnsEdit.replaceAll(JOB, List.of(SERVER))))
          .isInstanceOf(CorefileEditException.class)
          .hasMessage("Corefile line 20: region of owner '" + JOB + "' has no END marker");
    }

    @Test
    @DisplayName("a region whose content a person replaced is refused for incremental edits but overwritten by a full replace")
    void handEditedRegion() {
      String handEdited = KUBEADM_WITH_SERVER_AND_PARTY.replace("answer \"{{ .Name }} 60 IN A 10.0.0.2\"", "log");

      assertThatThrownBy(() -> editor.apply(handEdited, DnsEdit.change(JOB, List.of(SERVER), List.of())))
          .isInstanceOf(CorefileEditException.class)
          .hasMessageContaining("Corefile line 21: 'template IN A a.party.example.org {...}'")
          .hasMessageContaining("is not a record Flotilla wrote");
      assertThat(editor.apply(handEdited, DnsEdit.replaceAll(JOB, List.of(SERVER, PARTY_A))).corefile().render())
          .isEqualTo(KUBEADM_WITH_SERVER_AND_PARTY);
    }

    @Test
    @DisplayName("markers that cut a directive in two are refused")
    void crossingRegion() {
      String crossing = ".:53 {\n    hosts {\n    # flotilla-dns BEGIN owner=x\n    }\n    # flotilla-dns END owner=x\n}\n";

      assertThatThrownBy(() -> editor.apply(crossing, DnsEdit.removeOwner("x")))
          .isInstanceOf(CorefileEditException.class)
          .hasMessageContaining("Corefile line 2: directive 'hosts' crosses the boundary");
    }

    @Test
    @DisplayName("a marker-like text inside a quoted string is not a marker")
    void markerInQuotes() {
      String quoted = ".:53 {\n    log \"# flotilla-dns BEGIN owner=x\"\n    reload\n}\n";

      assertThat(editor.managedRecords(Corefile.parse(quoted))).isEmpty();
    }
  }

  private static String option(Directive template, String name) {
    return template.block().stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow().args().get(0);
  }

  private static List<String> names(Directive template) {
    return template.block().stream().map(Directive::name).collect(java.util.stream.Collectors.toList());
  }
}
