package dev.flotilla.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlotillaJarsTest {

  @Test
  @DisplayName("a missing jar is an error that gives the command building it")
  void missing(@TempDir Path root) {
    assertThatThrownBy(() -> new FlotillaJars(root).requirePresent("aggregator-server", "party"))
        .hasMessageContaining(root.resolve("aggregator-server/target/aggregator-server.jar").toString())
        .hasMessageContaining("mvn -q -DskipTests install -pl aggregator-server,party -am");
  }

  @Test
  @DisplayName("a snapshot keeps the jars it was taken from, even when the checkout's jar is rebuilt afterwards")
  void snapshot(@TempDir Path root, @TempDir Path copy) throws Exception {
    Path jar = root.resolve("party/target/party.jar");
    Files.createDirectories(jar.resolveSibling("lib"));
    Files.writeString(jar, "version 1");
    Files.writeString(jar.resolveSibling("lib").resolve("protocol.jar"), "protocol");

    FlotillaJars snapshot = new FlotillaJars(root).snapshot(copy, "party");
    Files.delete(jar);
    Files.writeString(jar, "version 2");

    assertThat(snapshot.partyJar()).isEqualTo(copy.resolve("party/target/party.jar")).hasContent("version 1");
    assertThat(copy.resolve("party/target/lib/protocol.jar")).hasContent("protocol");
    assertThat(snapshot.javaCommand("party", List.of("-Xmx1g"), List.of("--help")))
        .endsWith("-Xmx1g", "-jar", copy.resolve("party/target/party.jar").toString(), "--help")
        .doesNotContain("--add-modules=jdk.incubator.vector");
  }

  @Test
  @DisplayName("the aggregator starts with the Vector API module (its aggregation kernels), before the caller's JVM options")
  void aggregatorWithTheVectorApi(@TempDir Path root) {
    assertThat(new FlotillaJars(root).javaCommand("aggregator-server", List.of("-Xmx1g"), List.of("--help")))
        .containsSubsequence("--add-modules=jdk.incubator.vector", "-Xmx1g", "-jar",
            root.resolve("aggregator-server/target/aggregator-server.jar").toAbsolutePath().normalize().toString(), "--help");
  }
}
