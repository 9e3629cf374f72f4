package dev.tandem.core;

import com.google.gson.JsonElement;
import dev.tandem.core.ClientState.Approval;
import dev.tandem.core.protocol.Protocol.ApprovalRequestedParams;
import dev.tandem.core.protocol.Protocol.ApprovalRespondParams;
import dev.tandem.core.protocol.Protocol.ApprovalRespondResult;
import dev.tandem.core.protocol.Protocol.ChatSendParams;
import dev.tandem.core.protocol.Protocol.ChatSendResult;
import dev.tandem.core.protocol.Protocol.Decision;
import dev.tandem.core.protocol.Protocol.FlowId;
import dev.tandem.core.protocol.Protocol.FlowStartParams;
import dev.tandem.core.protocol.Protocol.FlowStartResult;
import dev.tandem.core.protocol.Protocol.Methods;
import dev.tandem.core.protocol.Protocol.Scope;
import dev.tandem.core.protocol.Protocol.SessionCancelParams;
import dev.tandem.core.protocol.Protocol.SessionCancelResult;
import dev.tandem.core.protocol.Protocol.SessionGetParams;
import dev.tandem.core.protocol.Protocol.SessionGetResult;
import dev.tandem.core.protocol.Protocol.SessionListParams;
import dev.tandem.core.protocol.Protocol.SessionListResult;
import dev.tandem.core.protocol.Protocol.SessionOpenedParams;
import dev.tandem.core.protocol.Protocol.Trigger;
import dev.tandem.core.protocol.Protocol.WebviewInfoParams;
import dev.tandem.core.protocol.Protocol.WebviewInfoResult;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Protocol v1 from the client's side, over any {@link Transport}: typed requests, and the
 * server's notifications turned into {@link ClientState}. The IDE glue calls {@link
 * #notification} from its LSP client; everything it renders comes from {@link #state()}.
 */
public final class TandemClient {
  private final Transport transport;
  private final ClientState state;
  private volatile Consumer<Approval> onNewApproval = a -> {};
  private volatile Consumer<String> log = m -> {};

  public TandemClient(Transport transport, ClientState state) {
    this.transport = transport;
    this.state = state;
  }

  public ClientState state() {
    return state;
  }

  /** Called once for each approval the person has not seen yet (not for re-sent ones). */
  public void onNewApproval(Consumer<Approval> listener) {
    onNewApproval = listener;
  }

  /** Where payloads that do not match the protocol are reported. */
  public void onLog(Consumer<String> log) {
    this.log = log;
  }

  /**
   * A server → client notification. A payload that does not match the protocol is logged and
   * dropped, leaving the state as it was.
   */
  public void notification(String method, JsonElement params) {
    try {
      if (Methods.APPROVAL_REQUESTED.equals(method)) {
        ApprovalRequestedParams p = Json.read(params, ApprovalRequestedParams.class, method);
        if (state.approvalRequested(p)) onNewApproval.accept(state.approval(p.approvalId));
      } else if (!state.accept(method, params)) {
        log.accept("ignored " + method + ": not a notification of protocol v1 this client keeps");
      }
    } catch (ProtocolException e) {
      log.accept("ignored " + e.getMessage());
    }
  }

  private <T> CompletableFuture<T> call(String method, Object params, Class<T> result) {
    return transport.request(method, params).thenApply(json -> Json.read(json, result, method + " result"));
  }

  /** A step that looks at a result on its way through. */
  private static <T> Function<T, T> also(Consumer<T> look) {
    return r -> {
      look.accept(r);
      return r;
    };
  }

  /** Sends a message in the current conversation (starting one when there is none). */
  public CompletableFuture<ChatSendResult> chatSend(String text) {
    ChatSendParams p = new ChatSendParams();
    p.text = text;
    p.conversationId = state.conversationId();
    return call(Methods.CHAT_SEND, p, ChatSendResult.class)
        .thenApply(also(r -> state.conversation(r.conversationId)));
  }

  public CompletableFuture<ApprovalRespondResult> approve(String approvalId, Scope scope) {
    return respond(approvalId, Decision.APPROVE, scope, null);
  }

  public CompletableFuture<ApprovalRespondResult> deny(String approvalId, String feedback) {
    return respond(approvalId, Decision.DENY, null, feedback);
  }

  /**
   * Answers an approval once: a second answer (a double click, a second view of the same card)
   * fails at once without reaching the server. When the answer does not get through, the
   * approval is pending again and the future fails with why.
   */
  public CompletableFuture<ApprovalRespondResult> respond(
      String approvalId, Decision decision, Scope scope, String feedback) {
    if (!state.beginAnswer(approvalId)) {
      Approval known = state.approval(approvalId);
      String why = known == null ? "that approval is not known here" : "that approval was already answered";
      return CompletableFuture.failedFuture(new IllegalStateException(why));
    }
    ApprovalRespondParams p = new ApprovalRespondParams();
    p.approvalId = approvalId;
    p.decision = decision;
    p.scope = scope;
    p.feedback = feedback == null || feedback.isBlank() ? null : feedback;
    return call(Methods.APPROVAL_RESPOND, p, ApprovalRespondResult.class)
        .whenComplete(
            (r, error) -> {
              if (error != null) state.answerFailed(approvalId, messageOf(error));
            });
  }

  /** Starts a flow from a UI action (no approval: the person asked for it directly). */
  public CompletableFuture<FlowStartResult> flowStart(FlowId flow, String reference) {
    FlowStartParams p = new FlowStartParams();
    p.flow = flow;
    p.reference = reference;
    p.trigger = Trigger.UI;
    return call(Methods.FLOW_START, p, FlowStartResult.class);
  }

  /** The newest sessions, merged into the state. */
  public CompletableFuture<SessionListResult> sessionList() {
    return call(Methods.SESSION_LIST, new SessionListParams(), SessionListResult.class)
        .thenApply(also(r -> state.sessions(r.sessions)));
  }

  public CompletableFuture<SessionGetResult> sessionGet(String sessionId) {
    SessionGetParams p = new SessionGetParams();
    p.sessionId = sessionId;
    return call(Methods.SESSION_GET, p, SessionGetResult.class)
        .thenApply(also(r -> state.sessionStatus(r.session)));
  }

  public CompletableFuture<SessionCancelResult> sessionCancel(String sessionId) {
    SessionCancelParams p = new SessionCancelParams();
    p.sessionId = sessionId;
    return call(Methods.SESSION_CANCEL, p, SessionCancelResult.class);
  }

  /** Tells the server the person opened a session's details (click-through telemetry). */
  public void sessionOpened(String sessionId, SessionOpenedParams.Source source) {
    SessionOpenedParams p = new SessionOpenedParams();
    p.sessionId = sessionId;
    p.source = source;
    transport.notify(Methods.SESSION_OPENED, p);
  }

  /** Where the shared webview is served (127.0.0.1, with its token in the URL). */
  public CompletableFuture<WebviewInfoResult> webviewInfo() {
    return call(Methods.WEBVIEW_INFO, new WebviewInfoParams(), WebviewInfoResult.class);
  }

  /** The message of a failure, without the wrappers futures add. */
  public static String messageOf(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}
