package dev.tandem.core;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonParseException;
import dev.tandem.core.protocol.Protocol;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.Map;

/**
 * (De)serialisation of protocol payloads with Gson, and the check Gson does not do: every field
 * marked {@link Protocol.Required} is present (an enum value this version does not know reads as
 * absent, so it fails the same check with the same message).
 */
public final class Json {
  private Json() {}

  /** Gson as the protocol needs it: no HTML escaping, nulls left out. */
  public static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  /** A payload as a JSON tree, ready to send. */
  public static JsonElement toTree(Object payload) {
    return payload == null ? JsonNull.INSTANCE : GSON.toJsonTree(payload);
  }

  /**
   * Reads a payload of {@code type}, named {@code what} in errors (usually the method).
   *
   * @throws ProtocolException when it is not JSON of that shape or lacks a required field
   */
  public static <T> T read(JsonElement json, Class<T> type, String what) {
    if (json == null || json.isJsonNull()) {
      throw new ProtocolException(what + ": the payload is missing");
    }
    T value;
    try {
      value = GSON.fromJson(json, type);
    } catch (JsonParseException | IllegalStateException | NumberFormatException e) {
      throw new ProtocolException(what + ": " + rootMessage(e), e);
    }
    checkRequired(value, what, "");
    return value;
  }

  /** Reads a payload from JSON text. */
  public static <T> T read(String text, Class<T> type, String what) {
    JsonElement tree;
    try {
      tree = com.google.gson.JsonParser.parseString(text);
    } catch (JsonParseException e) {
      throw new ProtocolException(what + ": not JSON (" + rootMessage(e) + ")", e);
    }
    return read(tree, type, what);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static boolean isProtocolClass(Class<?> c) {
    return c.getName().startsWith(Protocol.class.getName() + "$") && !c.isEnum();
  }

  private static void checkRequired(Object value, String what, String path) {
    if (value == null || !isProtocolClass(value.getClass())) return;
    for (Field field : value.getClass().getFields()) {
      if (Modifier.isStatic(field.getModifiers())) continue;
      Object v;
      try {
        v = field.get(value);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
      String name = path + field.getName();
      if (v == null) {
        if (field.isAnnotationPresent(Protocol.Required.class)) {
          throw new ProtocolException(
              what + ": " + name + " is missing (or has a value this client does not know)");
        }
        continue;
      }
      if (v instanceof Collection<?> items) {
        int i = 0;
        for (Object item : items) {
          if (item == null) {
            throw new ProtocolException(what + ": " + name + "[" + i + "] is null");
          }
          checkRequired(item, what, name + "[" + i++ + "].");
        }
      } else if (v instanceof Map<?, ?> map) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
          checkRequired(e.getValue(), what, name + "." + e.getKey() + ".");
        }
      } else {
        checkRequired(v, what, name + ".");
      }
    }
  }
}
