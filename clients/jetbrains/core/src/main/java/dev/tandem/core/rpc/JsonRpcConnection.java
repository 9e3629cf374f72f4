package dev.tandem.core.rpc;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.tandem.core.Json;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * JSON-RPC 2.0 with LSP's base protocol ({@code Content-Length} framing) over a pair of streams,
 * such as a server's stdin/stdout. One reader thread parses messages; one dispatch thread runs
 * handlers and completes requests in arrival order, so a notification sent before a response is
 * seen before it. A malformed message is answered (or logged) and skipped; the connection keeps
 * serving. When the stream ends, every pending request fails with a message saying so.
 */
public final class JsonRpcConnection implements AutoCloseable {
  /** Handles a request from the peer; its return value is the result (null for none). */
  @FunctionalInterface
  public interface RequestHandler {
    JsonElement handle(JsonElement params) throws Exception;
  }

  private static final int MAX_CONTENT_LENGTH = 64 * 1024 * 1024;

  private final InputStream in;
  private final OutputStream out;
  private final String peer;
  private final Map<String, RequestHandler> requestHandlers = new ConcurrentHashMap<>();
  private final Map<String, Consumer<JsonElement>> notificationHandlers = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<JsonElement>> pending = new ConcurrentHashMap<>();
  private final AtomicLong nextId = new AtomicLong(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ExecutorService dispatch;
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private volatile Consumer<String> log = message -> {};
  private volatile BiConsumer<String, JsonElement> unhandled = (method, params) -> {};
  private Thread reader;

  /**
   * @param peer names the other side in error messages, e.g. "the tandem server"
   */
  public JsonRpcConnection(InputStream in, OutputStream out, String peer) {
    this.in = in;
    this.out = out;
    this.peer = peer;
    this.dispatch =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "tandem-rpc-dispatch");
              t.setDaemon(true);
              return t;
            });
  }

  public void onRequest(String method, RequestHandler handler) {
    requestHandlers.put(method, handler);
  }

  public void onNotification(String method, Consumer<JsonElement> handler) {
    notificationHandlers.put(method, handler);
  }

  /** Notifications no handler took (e.g. {@code window/logMessage}). */
  public void onUnhandledNotification(BiConsumer<String, JsonElement> handler) {
    unhandled = handler;
  }

  /** Where the connection reports what it skipped (malformed messages, failing handlers). */
  public void onLog(Consumer<String> log) {
    this.log = log;
  }

  /** Completes when the stream has ended or {@link #close()} was called. */
  public CompletableFuture<Void> closed() {
    return done;
  }

  /** Starts reading. Handlers should be registered before. */
  public synchronized JsonRpcConnection start() {
    if (reader != null) return this;
    reader = new Thread(this::readLoop, "tandem-rpc-reader");
    reader.setDaemon(true);
    reader.start();
    return this;
  }

  /** Sends a request; the future fails with {@link ResponseErrorException} on an error response. */
  public CompletableFuture<JsonElement> request(String method, Object params) {
    String id = Long.toString(nextId.getAndIncrement());
    CompletableFuture<JsonElement> future = new CompletableFuture<>();
    if (closed.get()) {
      future.completeExceptionally(new IOException(peer + " is not connected"));
      return future;
    }
    pending.put(id, future);
    JsonObject message = envelope();
    message.addProperty("id", Long.parseLong(id));
    message.addProperty("method", method);
    if (params != null) message.add("params", Json.toTree(params));
    try {
      write(message);
    } catch (IOException e) {
      pending.remove(id);
      future.completeExceptionally(new IOException("could not send " + method + " to " + peer, e));
    }
    return future;
  }

  public void notify(String method, Object params) throws IOException {
    JsonObject message = envelope();
    message.addProperty("method", method);
    if (params != null) message.add("params", Json.toTree(params));
    write(message);
  }

  private static JsonObject envelope() {
    JsonObject message = new JsonObject();
    message.addProperty("jsonrpc", "2.0");
    return message;
  }

  private void write(JsonObject message) throws IOException {
    if (closed.get()) throw new IOException(peer + " is not connected");
    byte[] body = Json.GSON.toJson(message).getBytes(StandardCharsets.UTF_8);
    byte[] header = ("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    synchronized (out) {
      out.write(header);
      out.write(body);
      out.flush();
    }
  }

  private void readLoop() {
    Throwable cause = null;
    try {
      for (; ; ) {
        byte[] body = readMessage();
        if (body == null) break;
        String text = new String(body, StandardCharsets.UTF_8);
        JsonElement parsed;
        try {
          parsed = JsonParser.parseString(text);
        } catch (JsonParseException e) {
          log.accept("skipped a message from " + peer + " that is not JSON: " + abbreviate(text));
          reply(JsonNull.INSTANCE, null, ResponseErrorException.PARSE_ERROR, "Parse error: " + e.getMessage());
          continue;
        }
        if (closed.get()) break;
        try {
          dispatch.execute(() -> handle(parsed));
        } catch (RejectedExecutionException e) {
          break; // closed meanwhile
        }
      }
    } catch (IOException e) {
      cause = e;
    } finally {
      shutdown(cause);
    }
  }

  /** One framed message body, or null at the end of the stream. */
  private byte[] readMessage() throws IOException {
    int length = -1;
    boolean any = false;
    for (; ; ) {
      String line = readHeaderLine();
      if (line == null) {
        if (any) throw new EOFException(peer + " closed its output in the middle of a message");
        return null;
      }
      any = true;
      if (line.isEmpty()) break;
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
        try {
          length = Integer.parseInt(line.substring(colon + 1).trim());
        } catch (NumberFormatException e) {
          throw new IOException(peer + " sent a bad Content-Length header: " + line);
        }
      }
    }
    if (length < 0 || length > MAX_CONTENT_LENGTH) {
      throw new IOException(peer + " sent a message without a valid Content-Length header");
    }
    byte[] body = in.readNBytes(length);
    if (body.length < length) throw new EOFException(peer + " closed its output in the middle of a message");
    return body;
  }

  /** A header line without its CRLF, or null at the end of the stream before any byte. */
  private String readHeaderLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (; ; ) {
      int b = in.read();
      if (b < 0) return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
      if (b == '\n') {
        String s = line.toString(StandardCharsets.US_ASCII);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      if (line.size() > 8192) throw new IOException(peer + " sent a header line over 8 KiB");
      line.write(b);
    }
  }

  private void handle(JsonElement parsed) {
    if (!parsed.isJsonObject()) {
      log.accept("skipped a message from " + peer + " that is not an object: " + abbreviate(parsed.toString()));
      reply(JsonNull.INSTANCE, null, ResponseErrorException.INVALID_REQUEST, "Invalid Request: not an object");
      return;
    }
    JsonObject message = parsed.getAsJsonObject();
    JsonElement id = message.get("id");
    JsonElement method = message.get("method");
    JsonElement params = message.has("params") ? message.get("params") : JsonNull.INSTANCE;
    if (method != null && method.isJsonPrimitive()) {
      String name = method.getAsString();
      if (id == null || id.isJsonNull()) {
        Consumer<JsonElement> handler = notificationHandlers.get(name);
        try {
          if (handler != null) handler.accept(params);
          else unhandled.accept(name, params);
        } catch (RuntimeException e) {
          log.accept(name + " from " + peer + " was not handled: " + e.getMessage());
        }
        return;
      }
      RequestHandler handler = requestHandlers.get(name);
      if (handler == null) {
        reply(id, null, ResponseErrorException.METHOD_NOT_FOUND, "Unhandled method " + name);
        return;
      }
      try {
        reply(id, handler.handle(params), 0, null);
      } catch (ResponseErrorException e) {
        reply(id, null, e.code(), e.getMessage());
      } catch (Exception e) {
        log.accept(name + " from " + peer + " failed: " + e);
        reply(id, null, ResponseErrorException.INTERNAL_ERROR, name + " failed: " + e.getMessage());
      }
      return;
    }
    if (id == null || !id.isJsonPrimitive()) {
      log.accept("skipped a message from " + peer + " with neither a method nor an id: " + abbreviate(message.toString()));
      return;
    }
    CompletableFuture<JsonElement> future = pending.remove(id.getAsString());
    if (future == null) {
      log.accept("skipped a response from " + peer + " to an unknown request id " + id);
      return;
    }
    JsonElement error = message.get("error");
    if (error != null && error.isJsonObject()) {
      JsonObject e = error.getAsJsonObject();
      int code = e.has("code") && e.get("code").isJsonPrimitive() ? e.get("code").getAsInt() : 0;
      String text = e.has("message") && e.get("message").isJsonPrimitive() ? e.get("message").getAsString() : "error " + code;
      future.completeExceptionally(new ResponseErrorException(code, text, e.get("data")));
    } else {
      future.complete(message.has("result") ? message.get("result") : JsonNull.INSTANCE);
    }
  }

  private void reply(JsonElement id, JsonElement result, int code, String error) {
    JsonObject message = envelope();
    message.add("id", id);
    if (error == null) {
      message.add("result", result == null ? JsonNull.INSTANCE : result);
    } else {
      JsonObject e = new JsonObject();
      e.add("code", new JsonPrimitive(code));
      e.addProperty("message", error);
      message.add("error", e);
    }
    try {
      write(message);
    } catch (IOException e) {
      log.accept("could not answer " + peer + ": " + e.getMessage());
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "…";
  }

  private void shutdown(Throwable cause) {
    if (!closed.compareAndSet(false, true)) return;
    dispatch.execute(
        () -> {
          String why = peer + " is gone" + (cause == null ? "" : " (" + cause.getMessage() + ")");
          for (CompletableFuture<JsonElement> f : pending.values()) f.completeExceptionally(new IOException(why));
          pending.clear();
          done.complete(null);
        });
    dispatch.shutdown();
  }

  /** Stops reading and fails pending requests; the streams are the caller's to close. */
  @Override
  public void close() {
    shutdown(null);
    if (reader != null) reader.interrupt();
  }
}
