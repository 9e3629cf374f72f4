package dev.tandem.core;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.tandem.core.protocol.Protocol;
import dev.tandem.core.rpc.JsonRpcConnection;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The server as a child process spoken to over stdio with the core's own JSON-RPC connection:
 * what the tests use, and a client with no LSP framework. It does the LSP handshake advertising
 * what this client renders, answers {@code workspace/configuration}, and routes the server's
 * notifications into a {@link TandemClient}.
 */
public final class StdioServer implements AutoCloseable, Transport {
  private final Process process;
  private final JsonRpcConnection rpc;
  private final TandemClient client;
  private final Thread stderrPump;

  private StdioServer(Process process, Supplier<JsonObject> settings, Consumer<String> log) {
    this.process = process;
    this.rpc = new JsonRpcConnection(process.getInputStream(), process.getOutputStream(), "the tandem server");
    this.client = new TandemClient(this, new ClientState());
    client.onLog(log);
    rpc.onLog(log);
    for (Protocol.Method m : Protocol.METHODS) {
      if (m.direction() == Protocol.Direction.SERVER_TO_CLIENT) {
        rpc.onNotification(m.name(), params -> client.notification(m.name(), params));
      }
    }
    Consumer<JsonElement> serverLog =
        params -> {
          if (params.isJsonObject() && params.getAsJsonObject().has("message")) {
            log.accept("[server] " + params.getAsJsonObject().get("message").getAsString());
          }
        };
    rpc.onNotification("window/logMessage", serverLog);
    rpc.onNotification("window/showMessage", serverLog);
    rpc.onRequest("workspace/configuration", params -> Settings.configuration(params, settings));
    rpc.onRequest("window/workDoneProgress/create", params -> null);
    rpc.onRequest("client/registerCapability", params -> null);
    rpc.onRequest("window/showMessageRequest", params -> null);
    this.stderrPump =
        new Thread(
            () -> {
              try (BufferedReader err =
                  new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = err.readLine()) != null; ) log.accept("[server] " + line);
              } catch (IOException e) {
                // The process ended.
              }
            },
            "tandem-server-stderr");
    stderrPump.setDaemon(true);
    stderrPump.start();
    rpc.closed().thenRun(() -> client.state().serverStopped());
    rpc.start();
  }

  /**
   * Starts the server and initializes it.
   *
   * @param env variables added to the inherited environment (never secrets: those go through
   *     {@code settings})
   */
  public static StdioServer start(
      List<String> command,
      Map<String, String> env,
      File workspace,
      Supplier<JsonObject> settings,
      Consumer<String> log)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(workspace);
    builder.environment().putAll(env);
    StdioServer server = new StdioServer(builder.start(), settings, log);
    try {
      server.initialize(workspace).get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      server.close();
      throw new IOException("the tandem server did not initialize: " + TandemClient.messageOf(e), e);
    }
    return server;
  }

  private CompletableFuture<JsonElement> initialize(File workspace) {
    JsonObject params = new JsonObject();
    params.addProperty("processId", ProcessHandle.current().pid());
    JsonObject info = new JsonObject();
    info.addProperty("name", "tandem-jetbrains-core");
    params.add("clientInfo", info);
    params.addProperty("rootUri", workspace.toURI().toString());
    JsonArray folders = new JsonArray();
    JsonObject folder = new JsonObject();
    folder.addProperty("uri", workspace.toURI().toString());
    folder.addProperty("name", workspace.getName());
    folders.add(folder);
    params.add("workspaceFolders", folders);
    params.add("capabilities", capabilities());
    return rpc.request("initialize", params)
        .thenApply(
            result -> {
              try {
                rpc.notify("initialized", new JsonObject());
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
              return result;
            });
  }

  /** The capabilities a tandem client advertises: the approvals and widgets it renders. */
  public static JsonObject capabilities() {
    JsonObject tandem = new JsonObject();
    tandem.addProperty("protocolVersion", Protocol.VERSION);
    tandem.addProperty("approvals", true);
    tandem.addProperty("sessionWidget", true);
    JsonObject experimental = new JsonObject();
    experimental.add("tandem", tandem);
    JsonObject workspace = new JsonObject();
    workspace.addProperty("configuration", true);
    JsonObject window = new JsonObject();
    window.addProperty("workDoneProgress", true);
    JsonObject capabilities = new JsonObject();
    capabilities.add("experimental", experimental);
    capabilities.add("workspace", workspace);
    capabilities.add("window", window);
    return capabilities;
  }

  public TandemClient client() {
    return client;
  }

  public Process process() {
    return process;
  }

  @Override
  public CompletableFuture<JsonElement> request(String method, Object params) {
    return rpc.request(method, params);
  }

  @Override
  public void notify(String method, Object params) {
    try {
      rpc.notify(method, params);
    } catch (IOException e) {
      throw new IllegalStateException("could not send " + method + ": " + e.getMessage(), e);
    }
  }

  /** LSP shutdown and exit, then the process is ended if it lingers. */
  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        rpc.request("shutdown", null).get(5, TimeUnit.SECONDS);
        rpc.notify("exit", null);
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      // Ended below.
    } finally {
      rpc.close();
      if (process.isAlive()) process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }
}
