package dev.tandem.jetbrains;

import com.google.gson.JsonObject;
import com.intellij.openapi.project.Project;
import com.redhat.devtools.lsp4ij.ServerStatus;
import com.redhat.devtools.lsp4ij.client.LanguageClientImpl;
import dev.tandem.core.protocol.Protocol.Methods;
import org.eclipse.lsp4j.jsonrpc.services.JsonNotification;
import org.jetbrains.annotations.NotNull;

/**
 * LSP4IJ's client with the server → client notifications of protocol v1. Each goes to the
 * project's {@link TandemProject}, whose core state the views render (LSP4IJ runs each incoming
 * message on its own task, so they may arrive out of order: the core state allows for it). {@code
 * workspace/configuration} is answered from the settings and the secrets kept from the password
 * safe.
 */
public final class TandemLanguageClient extends LanguageClientImpl {
  public TandemLanguageClient(@NotNull Project project) {
    super(project);
  }

  /** To the project's state; nothing once the project is closing. */
  private void deliver(String method, JsonObject params) {
    if (!getProject().isDisposed()) TandemProject.getInstance(getProject()).notification(method, params);
  }

  @JsonNotification(Methods.CHAT_UPDATE)
  public void chatUpdate(JsonObject params) {
    deliver(Methods.CHAT_UPDATE, params);
  }

  @JsonNotification(Methods.APPROVAL_REQUESTED)
  public void approvalRequested(JsonObject params) {
    deliver(Methods.APPROVAL_REQUESTED, params);
  }

  @JsonNotification(Methods.APPROVAL_RESOLVED)
  public void approvalResolved(JsonObject params) {
    deliver(Methods.APPROVAL_RESOLVED, params);
  }

  @JsonNotification(Methods.SESSION_STATUS)
  public void sessionStatus(JsonObject params) {
    deliver(Methods.SESSION_STATUS, params);
  }

  /** The {@code tandem} section; LSP4IJ looks each requested section up in it. */
  @Override
  protected Object createSettings() {
    JsonObject all = new JsonObject();
    all.add("tandem", TandemSettings.getInstance().section());
    return all;
  }

  /**
   * LSP4IJ passes {@code started} and {@code stopping} (never {@code stopped}). With the lease
   * held there is no idle countdown, so {@code stopping} means a real stop: a restart, a crash, or
   * the person stopping it in the LSP console.
   */
  @Override
  public void handleServerStatusChanged(@NotNull ServerStatus serverStatus) {
    if (getProject().isDisposed()) return;
    if (serverStatus == ServerStatus.started) {
      triggerChangeConfiguration();
      TandemProject.getInstance(getProject()).serverStarted();
    } else if (serverStatus == ServerStatus.stopping) {
      TandemProject.getInstance(getProject()).serverStopped();
    }
  }
}
