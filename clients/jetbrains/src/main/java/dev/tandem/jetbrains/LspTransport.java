package dev.tandem.jetbrains;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.intellij.openapi.project.Project;
import com.redhat.devtools.lsp4ij.LanguageServerManager;
import dev.tandem.core.Json;
import dev.tandem.core.Transport;
import dev.tandem.core.protocol.Protocol.Methods;
import java.util.concurrent.CompletableFuture;

/**
 * The core's {@link Transport} over LSP4IJ: each request goes through the server proxy's
 * annotated method. {@code getLanguageServer} starts the server when it is not running and
 * completes once it is initialized.
 */
final class LspTransport implements Transport {
  private final Project project;

  LspTransport(Project project) {
    this.project = project;
  }

  CompletableFuture<TandemServerApi> server() {
    return LanguageServerManager.getInstance(project)
        .getLanguageServer(TandemServerFactory.SERVER_ID)
        .thenApply(
            item -> {
              if (item == null) {
                throw new IllegalStateException(
                    "The tandem server is not running. Check Node.js in Settings | Tools | tandem, then use Tandem: Restart Server.");
              }
              return (TandemServerApi) item.getServer();
            });
  }

  @Override
  public CompletableFuture<JsonElement> request(String method, Object params) {
    JsonObject p = params == null ? new JsonObject() : Json.toTree(params).getAsJsonObject();
    return server()
        .thenCompose(
            api ->
                switch (method) {
                  case Methods.CHAT_SEND -> api.chatSend(p);
                  case Methods.APPROVAL_RESPOND -> api.approvalRespond(p);
                  case Methods.FLOW_START -> api.flowStart(p);
                  case Methods.SESSION_LIST -> api.sessionList(p);
                  case Methods.SESSION_GET -> api.sessionGet(p);
                  case Methods.SESSION_CANCEL -> api.sessionCancel(p);
                  case Methods.TELEMETRY_SUMMARY -> api.telemetrySummary(p);
                  case Methods.WEBVIEW_INFO -> api.webviewInfo(p);
                  default -> CompletableFuture.failedFuture(new IllegalArgumentException(method + " is not a request of protocol v1"));
                })
        .thenApply(result -> (JsonElement) result);
  }

  @Override
  public void notify(String method, Object params) {
    if (!Methods.SESSION_OPENED.equals(method)) throw new IllegalArgumentException(method + " is not a client notification of protocol v1");
    JsonObject p = Json.toTree(params).getAsJsonObject();
    server().thenAccept(api -> api.sessionOpened(p));
  }
}
