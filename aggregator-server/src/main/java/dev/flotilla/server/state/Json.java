package dev.flotilla.server.state;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** The one JSON mapper of the server: snake_case fields, nulls kept (a missing value is explicit). */
public final class Json {

  public static final Gson GSON = new GsonBuilder()
      .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
      .serializeNulls()
      .serializeSpecialFloatingPointValues()
      .setPrettyPrinting()
      .create();

  private Json() {}
}
