package dev.flotilla.protocol.json;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;

/**
 * One strict JSON document as a Gson tree, for files other programs write (a status file, a
 * trainer's result): Gson's own tree keeps the last of a repeated key silently and reads a lenient
 * superset of JSON. The reader's nesting limit bounds the recursion; callers bound the text's size.
 */
public final class StrictJson {

  private StrictJson() {}

  /** What makes a syntactically valid document unacceptable, and where ("metrics.loss", "rounds[2]"). */
  public static final class Problem extends Exception {

    public enum Kind {
      /** a key given twice in one object */
      REPEATED_KEY,
      /** a number that is no decimal number (e.g. beyond a BigDecimal's exponent range) */
      BAD_NUMBER,
      /** a second value after the document's one */
      TRAILING_VALUE
    }

    private final Kind kind;
    private final String path;
    private final String text;

    Problem(Kind kind, String path, String text) {
      super(kind + " at '" + path + "'");
      this.kind = kind;
      this.path = path;
      this.text = text;
    }

    public Kind kind() {
      return kind;
    }

    /** Where: keys joined by '.', array elements as [i]; "" for the document itself. */
    public String path() {
      return path;
    }

    /** The offending text (the number as written), or "". */
    public String text() {
      return text;
    }
  }

  /**
   * The one value {@code text} holds.
   *
   * @throws IOException when it is not strict JSON (Gson's message says where)
   * @throws Problem when it is JSON this reader refuses
   */
  public static JsonElement parse(String text) throws IOException, Problem {
    try (JsonReader reader = new JsonReader(new StringReader(text))) {
      reader.setStrictness(Strictness.STRICT);
      JsonElement value = value(reader, "");
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new Problem(Problem.Kind.TRAILING_VALUE, "", "");
      }
      return value;
    }
  }

  private static JsonElement value(JsonReader reader, String path) throws IOException, Problem {
    switch (reader.peek()) {
      case BEGIN_OBJECT -> {
        JsonObject object = new JsonObject();
        reader.beginObject();
        while (reader.hasNext()) {
          String key = reader.nextName();
          String at = path.isEmpty() ? key : path + "." + key;
          if (object.has(key)) {
            throw new Problem(Problem.Kind.REPEATED_KEY, at, "");
          }
          object.add(key, value(reader, at));
        }
        reader.endObject();
        return object;
      }
      case BEGIN_ARRAY -> {
        JsonArray array = new JsonArray();
        reader.beginArray();
        for (int i = 0; reader.hasNext(); i++) {
          array.add(value(reader, path + "[" + i + "]"));
        }
        reader.endArray();
        return array;
      }
      case STRING -> {
        return new JsonPrimitive(reader.nextString());
      }
      case NUMBER -> {
        String number = reader.nextString();
        try {
          return new JsonPrimitive(new BigDecimal(number));
        } catch (NumberFormatException e) {
          throw new Problem(Problem.Kind.BAD_NUMBER, path, number);
        }
      }
      case BOOLEAN -> {
        return new JsonPrimitive(reader.nextBoolean());
      }
      case NULL -> {
        reader.nextNull();
        return JsonNull.INSTANCE;
      }
      default -> throw new MalformedJsonException("unexpected " + reader.peek() + " at '" + path + "'");
    }
  }
}
