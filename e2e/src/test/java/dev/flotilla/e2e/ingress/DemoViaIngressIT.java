package dev.flotilla.e2e.ingress;

import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static dev.flotilla.testing.RealServer.NGINX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.flotilla.demo.ChildProcess;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.demo.ProcessGroup;
import dev.flotilla.testing.RequiresRealServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRealServers({NGINX, FASHION_MNIST})
@DisplayName("bin/flotilla demo --via-ingress")
class DemoViaIngressIT {

  @Test
  @DisplayName("runs the demo with every party dialling the job's name through nginx, and stops nginx at the end")
  void demoThroughNginx(@TempDir Path dir) throws Exception {
    FlotillaJars jars = FlotillaJars.locate();
    jars.requirePresent("demo", "aggregator-server", "party");
    Path work = dir.resolve("work");
    List<String> command = new java.util.ArrayList<>(jars.javaCommand("demo", List.of(),
        List.of("--via-ingress", "--parties", "2", "--rounds", "1", "--batch-size", "128", "--dir", work.toString())));
    try (ProcessGroup group = new ProcessGroup(dir.resolve("logs"))) {
      ChildProcess demo = group.start("demo", command, dir, Map.of(FlotillaJars.HOME_VARIABLE, jars.root().toString()));
      OptionalInt exit = demo.waitFor(15, TimeUnit.MINUTES);
      if (exit.isEmpty() || exit.getAsInt() != 0) {
        fail("demo " + (exit.isEmpty() ? "still running" : "exited " + exit.getAsInt()) + "\n" + demo.tail(80));
      }
      String log = demo.log();
      assertThat(log).contains("Ingress flotilla/job1 passthrough: SNI job1.server.flotilla.local", "round 1/1",
          "final accuracy");
      Matcher pid = Pattern.compile("ingress {7}nginx \\(pid (\\d+)\\)").matcher(log);
      assertThat(pid.find()).as("nginx pid in the demo output:\n%s", log).isTrue();
      assertThat(ProcessHandle.of(Long.parseLong(pid.group(1))).map(ProcessHandle::isAlive).orElse(false))
          .as("nginx still running after the demo exited").isFalse();
      String streamLog = Files.readString(work.resolve("ingress/logs/stream-access.log"));
      assertThat(streamLog.lines().filter(l -> l.contains("sni=\"job1.server.flotilla.local\"")).count())
          .as("party connections through nginx:\n%s", streamLog).isGreaterThanOrEqualTo(2);
    }
  }
}
