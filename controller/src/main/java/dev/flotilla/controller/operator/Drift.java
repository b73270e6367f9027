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
      if (!actual.isArray() || actual.size() != desired.size()) {
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
}
