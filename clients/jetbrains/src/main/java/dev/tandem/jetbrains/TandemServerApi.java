package dev.tandem.jetbrains;

import com.google.gson.JsonObject;
import dev.tandem.core.protocol.Protocol.Methods;
import java.util.concurrent.CompletableFuture;
import org.eclipse.lsp4j.jsonrpc.services.JsonNotification;
import org.eclipse.lsp4j.jsonrpc.services.JsonRequest;
import org.eclipse.lsp4j.services.LanguageServer;

/**
 * The client → server methods of protocol v1 for lsp4j's proxy (LSP4IJ builds it from {@link
 * TandemServerFactory#getServerInterface()}). Payloads stay Gson trees here; the core's generated
 * classes give them their shape ({@link LspTransport}).
 */
public interface TandemServerApi extends LanguageServer {
  @JsonRequest(Methods.CHAT_SEND)
  CompletableFuture<JsonObject> chatSend(JsonObject params);

  @JsonRequest(Methods.APPROVAL_RESPOND)
  CompletableFuture<JsonObject> approvalRespond(JsonObject params);

  @JsonRequest(Methods.FLOW_START)
  CompletableFuture<JsonObject> flowStart(JsonObject params);

  @JsonRequest(Methods.SESSION_LIST)
  CompletableFuture<JsonObject> sessionList(JsonObject params);

  @JsonRequest(Methods.SESSION_GET)
  CompletableFuture<JsonObject> sessionGet(JsonObject params);

  @JsonRequest(Methods.SESSION_CANCEL)
  CompletableFuture<JsonObject> sessionCancel(JsonObject params);

  @JsonNotification(Methods.SESSION_OPENED)
  void sessionOpened(JsonObject params);

  @JsonRequest(Methods.TELEMETRY_SUMMARY)
  CompletableFuture<JsonObject> telemetrySummary(JsonObject params);

  @JsonRequest(Methods.WEBVIEW_INFO)
  CompletableFuture<JsonObject> webviewInfo(JsonObject params);
}
