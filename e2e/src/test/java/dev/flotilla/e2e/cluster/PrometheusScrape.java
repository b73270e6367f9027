package dev.flotilla.e2e.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalDouble;

/** Reads one sample from a pod's Prometheus endpoint, as a scraper on the node would (pod IPs are routed from the host). */
final class PrometheusScrape {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  /** A metrics page is a few hundred lines; a larger answer is not what we asked for. */
  private static final int MAX_BYTES = 1 << 20;

  private PrometheusScrape() {}

  /**
   * The sum of the samples named {@code name} (every label set) at {@code http://ip:port/metrics};
   * empty when the pod does not answer or has no such sample.
   */
  static OptionalDouble sum(String ip, int port, String name) {
    String page;
    try {
      HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + "/metrics"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200 || response.body().length > MAX_BYTES) {
        return OptionalDouble.empty();
      }
      page = new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      return OptionalDouble.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalDouble.empty();
    }
    double sum = 0;
    boolean found = false;
    for (String line : page.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        // "name{labels} value [timestamp]": the value follows the closing brace (label values may hold spaces)
        int afterLabels = line.startsWith(name + "{") ? line.lastIndexOf('}') + 1 : name.length();
        sum += Double.parseDouble(line.substring(afterLabels).trim().split("\\s+")[0]);
        found = true;
      }
    }
    return found ? OptionalDouble.of(sum) : OptionalDouble.empty();
  }
}
