package dev.tandem.core;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.util.function.Supplier;

/**
 * The {@code tandem} section of {@code workspace/configuration}: what the server asks for when it
 * starts and after a settings change. Secrets are added here, at the moment the server asks, from
 * the IDE's password store; they are never written to settings files.
 */
public final class Settings {
  private Settings() {}

  /** The section the server reads: {@code model.*}, {@code gitlab.*}; blank values are left out. */
  public static JsonObject section(
      String modelBaseUrl, String modelName, String gitlabUrl, String modelApiKey, String gitlabToken) {
    JsonObject section = new JsonObject();
    JsonObject model = new JsonObject();
    put(model, "baseUrl", modelBaseUrl);
    put(model, "name", modelName);
    put(model, "apiKey", modelApiKey);
    JsonObject gitlab = new JsonObject();
    put(gitlab, "url", gitlabUrl);
    put(gitlab, "token", gitlabToken);
    if (model.size() > 0) section.add("model", model);
    if (gitlab.size() > 0) section.add("gitlab", gitlab);
    return section;
  }

  private static void put(JsonObject o, String key, String value) {
    if (value != null && !value.isBlank()) o.addProperty(key, value.trim());
  }

  /**
   * The answer to {@code workspace/configuration}: the section for each item asking for
   * {@code tandem} (or for everything), null for any other.
   */
  public static JsonArray configuration(JsonElement params, Supplier<JsonObject> section) {
    JsonArray result = new JsonArray();
    if (params == null || !params.isJsonObject() || !params.getAsJsonObject().has("items")) return result;
    JsonElement items = params.getAsJsonObject().get("items");
    if (!items.isJsonArray()) return result;
    for (JsonElement item : items.getAsJsonArray()) {
      String name = null;
      if (item.isJsonObject() && item.getAsJsonObject().has("section")) {
        JsonElement s = item.getAsJsonObject().get("section");
        name = s.isJsonPrimitive() ? s.getAsString() : null;
      }
      if (name == null || name.isEmpty()) {
        JsonObject all = new JsonObject();
        all.add("tandem", section.get());
        result.add(all);
      } else if (name.equals("tandem")) {
        result.add(section.get());
      } else {
        result.add(JsonNull.INSTANCE);
      }
    }
    return result;
  }
}
