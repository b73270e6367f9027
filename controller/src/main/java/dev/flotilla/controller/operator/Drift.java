package dev.flotilla.controller.operator;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Iterator;
import java.util.Map;

/**
 * Decides whether an object in the cluster already holds everything the controller wants in
 * it. Only the fields the controller sets are compared, so defaults the API server fills in and
 * fields other managers add are no drift; an empty list or map the controller sets matches an
 * absent one.
 */
public final class Drift {

  private Drift() {}

  public static boolean satisfies(Object actual, Object desired) {
    JsonNode a = Serialization.jsonMapper().valueToTree(actual);
    JsonNode d = Serialization.jsonMapper().valueToTree(desired);
    return contains(a, d);
  }

  static boolean contains(JsonNode actual, JsonNode desired) {
    if (desired == null || desired.isNull()) {
      return true;
    }
    if ((desired.isObject() || desired.isArray()) && desired.isEmpty()) {
      return actual == null || actual.isNull() || actual.isEmpty();
    }
    if (actual == null || actual.isNull()) {
      return false;
    }
    if (desired.isObject()) {
      if (!actual.isObject()) {
        return false;
      }
      Iterator<Map.Entry<String, JsonNode>> fields = desired.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        if (!contains(actual.get(f.getKey()), f.getValue())) {
          return false;
        }
      }
      return true;
    }
    if (desired.isArray()) {
      if (!actual.isArray()) {
        return false;
      }
      String key = mergeKey(desired);
      if (key != null) {
        // a list of named things (containers, volumes, mounts, ports, env): each desired element must
        // be there; elements others added (a service account token volume, a sidecar) are no drift
        for (JsonNode d : desired) {
          JsonNode match = null;
          for (JsonNode a : actual) {
            if (d.get(key).equals(a.get(key))) {
              match = a;
              break;
            }
          }
          if (match == null || !contains(match, d)) {
            return false;
          }
        }
        return true;
      }
      if (actual.size() != desired.size()) {
        return false;
      }
      for (int i = 0; i < desired.size(); i++) {
        if (!contains(actual.get(i), desired.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (desired.isNumber() && actual.isNumber()) {
      return desired.decimalValue().compareTo(actual.decimalValue()) == 0;
    }
    return desired.equals(actual);
  }

  /** The field that names the elements of a list, when every element has one: name, else mountPath. */
  private static String mergeKey(JsonNode list) {
    for (String key : new String[] {"name", "mountPath"}) {
      boolean all = list.size() > 0;
      for (JsonNode e : list) {
        all &= e.isObject() && e.hasNonNull(key);
      }
      if (all) {
        return key;
      }
    }
    return null;
  }
}
