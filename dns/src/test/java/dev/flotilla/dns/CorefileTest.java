package dev.flotilla.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CorefileTest {

  @ParameterizedTest
  @ValueSource(strings = {Corefiles.KUBEADM, Corefiles.K3S, Corefiles.IFLEARNER_README, Corefiles.TORTURE})
  @DisplayName("a parsed Corefile renders back byte for byte")
  void roundTrip(String name) {
    String text = Corefiles.read(name);

    String rendered = Corefile.parse(text).render();

    assertThat(rendered.getBytes(StandardCharsets.UTF_8)).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("kubeadm's default Corefile parses into one .:53 block with its plugins and nested options")
  void kubeadmStructure() {
    Corefile cf = Corefile.parse(Corefiles.read(Corefiles.KUBEADM));

    assertThat(cf.serverBlocks()).hasSize(1);
    ServerBlock block = cf.serverBlock(".:53").orElseThrow();
    assertThat(block.keys()).containsExactly(".:53");
    assertThat(names(block.directives())).containsExactly(
        "errors", "health", "ready", "kubernetes", "prometheus", "forward", "cache", "loop", "reload", "loadbalance");
    Directive kubernetes = block.directive("kubernetes").orElseThrow();
    assertThat(kubernetes.args()).containsExactly("cluster.local", "in-addr.arpa", "ip6.arpa");
    assertThat(names(kubernetes.block())).containsExactly("pods", "fallthrough", "ttl");
    assertThat(kubernetes.block().get(1).args()).containsExactly("in-addr.arpa", "ip6.arpa");
    assertThat(block.directive("forward").orElseThrow().block().get(0).args()).containsExactly("1000");
    assertThat(kubernetes.line()).isEqualTo(7);
  }

  @Test
  @DisplayName("blocks nested 10,000 deep (60 KB of text) are refused with a parse error naming the line, not a "
      + "StackOverflowError; 100 levels still parse and render back")
  void deepNesting() {
    assertThatThrownBy(() -> Corefile.parse(nested(10_000)))
        .isInstanceOf(CorefileParseException.class)
        .hasMessage("Corefile line 101: blocks nested deeper than 100 levels");
    String hundred = nested(100);
    assertThat(Corefile.parse(hundred).render()).isEqualTo(hundred);
  }

  /** A server block holding a directive with a block holding ... depth blocks in all. */
  private static String nested(int depth) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      text.append(i == 0 ? ".:53" : "d" + i).append(" {\n");
    }
    text.append("}\n".repeat(depth));
    return text.toString();
  }

  @Test
  @DisplayName("k3s's default Corefile keeps its NodeHosts hosts block and both import lines")
  void k3sStructure() {
    Corefile cf = Corefile.parse(Corefiles.read(Corefiles.K3S));

    ServerBlock block = cf.serverBlock(".:53").orElseThrow();
    Directive hosts = block.directive("hosts").orElseThrow();
    assertThat(hosts.args()).containsExactly("/etc/coredns/NodeHosts");
    assertThat(names(hosts.block())).containsExactly("ttl", "reload", "fallthrough");
    assertThat(block.directive("import").orElseThrow().args()).containsExactly("/etc/coredns/custom/*.override");
    assertThat(cf.imports()).singleElement().satisfies(i -> assertThat(i.args()).containsExactly("/etc/coredns/custom/*.server"));
  }

  @Test
  @DisplayName("the iflearner README's template blocks keep their Go template answer as one token")
  void iflearnerTemplates() {
    Corefile cf = Corefile.parse(Corefiles.read(Corefiles.IFLEARNER_README));

    List<Directive> templates = cf.serverBlock(".").orElseThrow().directives().stream()
        .filter(d -> d.name().equals("template")).collect(Collectors.toList());
    assertThat(templates).extracting(Directive::args).containsExactly(
        List.of("IN", "A", "server.iflearner.com"), List.of("IN", "A", "party.iflearner.com"));
    assertThat(templates.get(0).block()).extracting(Directive::toString).containsExactly(
        "match .*\\.server\\.iflearner\\.com", "answer {{ .Name }} 60 IN A 10.0.0.1", "fallthrough");
  }

  @Test
  @DisplayName("several blocks with several keys and ports, snippets, {$ENV} placeholders, escaped quotes and comments parse")
  void tortureStructure() {
    Corefile cf = Corefile.parse(Corefiles.read(Corefiles.TORTURE));

    assertThat(cf.serverBlocks()).extracting(ServerBlock::keys).containsExactly(
        List.of("(common)"), List.of("example.org:5353", "example.net:5353"), List.of("dns://.:53"));
    assertThat(cf.serverBlocks().get(0).isSnippet()).isTrue();
    assertThat(cf.serverBlocks().get(0).directive("log").orElseThrow().args())
        .containsExactly(".", "{remote}:{port} - {>id} \"{type} {class} {name}\" {rcode}");
    assertThat(cf.serverBlocks().get(1).directive("bind").orElseThrow().args()).containsExactly("{$BIND_ADDR}");
    assertThat(cf.serverBlocks().get(1).directive("file").orElseThrow().args()).containsExactly("/etc/coredns/db.example.org");
    assertThat(cf.serverBlock(".:53")).containsSame(cf.serverBlocks().get(2));
    assertThat(cf.serverBlock("example.net:5353")).containsSame(cf.serverBlocks().get(1));
    assertThat(cf.serverBlock("example.net")).isEmpty();
    Directive acl = cf.serverBlocks().get(2).directive("acl").orElseThrow();
    assertThat(acl.block().get(0).args()).containsExactly("type", "ANY", "net", "0.0.0.0/0");
    assertThat(cf.imports()).extracting(Directive::args).containsExactly(List.of("extra/*.server"));
  }

  @Test
  @DisplayName("inside quotes a backslash escapes only a quote, as CoreDNS's lexer does")
  void quoteEscapes() {
    Corefile cf = Corefile.parse(".:53 {\n    log \"a\\\"b\" \"c\\d\" \"e\\\\\" \"multi\nline\" # \"not a token\n}\n");

    assertThat(cf.serverBlocks().get(0).directive("log").orElseThrow().args())
        .containsExactly("a\"b", "c\\d", "e\\\\", "multi\nline");
    assertThat(cf.serverBlocks().get(0).directive("log").orElseThrow().line()).isEqualTo(2);
    assertThat(cf.serverBlocks().get(0).directives()).hasSize(1);
  }

  @Nested
  @DisplayName("when the Corefile is broken")
  class Broken {
    @Test
    @DisplayName("an unclosed block names the line of its '{'")
    void unclosed() {
      assertThatThrownBy(() -> Corefile.parse(".:53 {\n    errors\n    health {\n       lameduck 5s\n}\n"))
          .isInstanceOf(CorefileParseException.class)
          .hasMessage("Corefile line 1: '{' is never closed (the last '{' opened is at line 3)")
          .extracting(e -> ((CorefileParseException) e).line()).isEqualTo(1);
    }

    @Test
    @DisplayName("a stray '}' names its line")
    void strayClose() {
      assertThatThrownBy(() -> Corefile.parse(".:53 {\n    errors\n}\n}\n"))
          .isInstanceOf(CorefileParseException.class)
          .hasMessage("Corefile line 4: unexpected '}' with no '{' open");
    }

    @Test
    @DisplayName("an unterminated quoted string names the line it starts on")
    void unterminatedQuote() {
      assertThatThrownBy(() -> Corefile.parse(".:53 {\n    errors\n    log \"{remote}\n}\n"))
          .isInstanceOf(CorefileParseException.class)
          .hasMessage("Corefile line 3: unterminated quoted string");
    }

    @Test
    @DisplayName("a server block without braces names the line of its key")
    void noBraces() {
      assertThatThrownBy(() -> Corefile.parse("# header\n.:53\n    errors\n"))
          .isInstanceOf(CorefileParseException.class)
          .hasMessage("Corefile line 2: expected '{' after server block key '.:53'");
    }

    @Test
    @DisplayName("a line that starts with '{' names its line")
    void leadingBrace() {
      assertThatThrownBy(() -> Corefile.parse(".:53 {\n    forward . 8.8.8.8\n    {\n    }\n}\n"))
          .isInstanceOf(CorefileParseException.class)
          .hasMessage("Corefile line 3: unexpected '{' at the start of a line");
    }
  }

  private static List<String> names(List<Directive> directives) {
    return directives.stream().map(Directive::name).collect(Collectors.toList());
  }
}
