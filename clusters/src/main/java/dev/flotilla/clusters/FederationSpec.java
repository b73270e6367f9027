package dev.flotilla.clusters;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the program declares, read from the stack's config key {@code flotilla:federation} (a JSON object; Pulumi
 * hands structured config over as JSON text). Checked in full before any resource is declared: every problem is
 * named at once.
 *
 * @param project the GCP project of every cluster, address and record
 * @param domain the federation's trust domain (hosts {@code <job>.server.<domain>}, {@code <job>.<party>.party.<domain>})
 * @param dnsZone the Cloud DNS managed zone that serves {@code domain}
 * @param chart the Flotilla chart's directory, relative to the Pulumi project (clusters/)
 * @param controllerImage the controller image repository the chart runs (a registry every cluster can pull from)
 * @param controllerTag its tag
 * @param jobNamespace the namespace the controllers watch and the jobs run in, in every cluster
 * @param organisations one coordinator and at least one party
 */
public record FederationSpec(String project, String domain, String dnsZone, String chart, String controllerImage,
    String controllerTag, String jobNamespace, List<Organisation> organisations) {

  public static final String DEFAULT_CHART = "../charts/flotilla";
  public static final String DEFAULT_JOB_NAMESPACE = "flotilla-jobs";
  public static final String DEFAULT_MACHINE_TYPE = "e2-standard-4";
  static final int MAX_TEXT = 4096;
  static final int MAX_ORGANISATIONS = 50;

  private static final Pattern LABEL = Pattern.compile("[a-z]([-a-z0-9]{0,28}[a-z0-9])?");
  private static final Pattern DOMAIN = Pattern.compile("([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}");
  private static final Pattern REGION = Pattern.compile("[a-z]+-[a-z]+[0-9]");
  private static final Pattern PROJECT = Pattern.compile("[a-z][-a-z0-9]{4,28}[a-z0-9]");

  public FederationSpec {
    organisations = List.copyOf(organisations);
  }

  /** The coordinator's organisation. */
  public Organisation coordinator() {
    return organisations.stream().filter(Organisation::coordinator).findFirst().orElseThrow();
  }

  /**
   * Reads and checks the config value. Refuses text above {@value #MAX_TEXT} characters, anything not of the
   * documented shape, and names every problem.
   */
  public static FederationSpec parse(String json) {
    if (json.length() > MAX_TEXT) {
      throw new IllegalArgumentException("flotilla:federation is " + json.length() + " characters, at most " + MAX_TEXT);
    }
    JsonObject o;
    try {
      o = JsonParser.parseString(json).getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new IllegalArgumentException("flotilla:federation is not a JSON object: " + e.getMessage());
    }
    List<String> problems = new ArrayList<>();
    String project = text(o, "project", null, problems);
    String domain = text(o, "domain", null, problems);
    String zone = text(o, "dnsZone", null, problems);
    String chart = text(o, "chart", DEFAULT_CHART, problems);
    String image = text(o, "controllerImage", null, problems);
    String tag = text(o, "controllerTag", null, problems);
    String jobNamespace = text(o, "jobNamespace", DEFAULT_JOB_NAMESPACE, problems);
    if (project != null && !PROJECT.matcher(project).matches()) {
      problems.add("project '" + project + "' is not a GCP project id");
    }
    if (domain != null && (domain.length() > 200 || !DOMAIN.matcher(domain).matches())) {
      problems.add("domain '" + domain + "' is not a DNS domain");
    }
    if (jobNamespace != null && !LABEL.matcher(jobNamespace).matches()) {
      problems.add("jobNamespace '" + jobNamespace + "' is not a namespace name of at most 30 characters");
    }
    List<Organisation> orgs = organisations(o, problems);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("flotilla:federation: " + String.join("; ", problems));
    }
    return new FederationSpec(project, domain, zone, chart, image, tag, jobNamespace, orgs);
  }

  private static List<Organisation> organisations(JsonObject o, List<String> problems) {
    List<Organisation> orgs = new ArrayList<>();
    JsonElement list = o.get("organisations");
    if (list == null || !list.isJsonArray() || list.getAsJsonArray().isEmpty()) {
      problems.add("organisations: a list of at least two organisations is required");
      return orgs;
    }
    JsonArray array = list.getAsJsonArray();
    if (array.size() > MAX_ORGANISATIONS) {
      problems.add("organisations: " + array.size() + " given, at most " + MAX_ORGANISATIONS);
      return orgs;
    }
    Set<String> names = new HashSet<>();
    for (JsonElement e : array) {
      if (!e.isJsonObject()) {
        problems.add("organisations: " + e + " is not an object");
        continue;
      }
      JsonObject org = e.getAsJsonObject();
      List<String> own = new ArrayList<>();
      String name = text(org, "name", null, own);
      String role = text(org, "role", "party", own);
      String region = text(org, "region", null, own);
      String machineType = text(org, "machineType", DEFAULT_MACHINE_TYPE, own);
      int nodes = org.has("nodeCount") && org.get("nodeCount").isJsonPrimitive() && org.get("nodeCount").getAsJsonPrimitive().isNumber()
          ? org.get("nodeCount").getAsInt() : org.has("nodeCount") ? -1 : 1;
      String who = "organisation " + (name == null ? "#" + (orgs.size() + 1) : "'" + name + "'");
      if (name != null && !LABEL.matcher(name).matches()) {
        own.add("name '" + name + "' is not a DNS label of at most 30 characters starting with a letter");
      } else if (name != null && !names.add(name)) {
        own.add("is named twice");
      }
      if (region != null && !REGION.matcher(region).matches()) {
        own.add("region '" + region + "' is not a GCP region");
      }
      if (nodes < 1 || nodes > 100) {
        own.add("nodeCount must be a whole number in 1..100");
      }
      Organisation.Role parsedRole = null;
      try {
        parsedRole = role == null ? null : Organisation.Role.parse(role);
      } catch (IllegalArgumentException ex) {
        own.add(ex.getMessage());
      }
      if (own.isEmpty()) {
        orgs.add(new Organisation(name, parsedRole, region, nodes, machineType));
      } else {
        own.forEach(p -> problems.add(who + ": " + p));
      }
    }
    long coordinators = orgs.stream().filter(Organisation::coordinator).count();
    if (problems.isEmpty() && coordinators != 1) {
      problems.add("organisations: exactly one coordinator is needed, " + coordinators + " given");
    }
    if (problems.isEmpty() && orgs.size() < 2) {
      problems.add("organisations: a federation needs at least one party besides the coordinator");
    }
    return orgs;
  }

  private static String text(JsonObject o, String key, String fallback, List<String> problems) {
    JsonElement e = o.get(key);
    if (e == null || e.isJsonNull()) {
      if (fallback == null) {
        problems.add(key + " is required");
      }
      return fallback;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString() || e.getAsString().isBlank()) {
      problems.add(key + " must be a non-empty string");
      return null;
    }
    return e.getAsString();
  }
}
