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
 * project's {@link TandemProject}, whose core state the views render; {@code
 * workspace/configuration} is answered from the settings, with the secrets read from the
 * password safe at that moment.
 */
public final class TandemLanguageClient extends LanguageClientImpl {
  public TandemLanguageClient(@NotNull Project project) {
    super(project);
  }

  private TandemProject tandem() {
    return TandemProject.getInstance(getProject());
  }

  @JsonNotification(Methods.CHAT_UPDATE)
  public void chatUpdate(JsonObject params) {
    tandem().notification(Methods.CHAT_UPDATE, params);
  }

  @JsonNotification(Methods.APPROVAL_REQUESTED)
  public void approvalRequested(JsonObject params) {
    tandem().notification(Methods.APPROVAL_REQUESTED, params);
  }

  @JsonNotification(Methods.APPROVAL_RESOLVED)
  public void approvalResolved(JsonObject params) {
    tandem().notification(Methods.APPROVAL_RESOLVED, params);
  }

  @JsonNotification(Methods.SESSION_STATUS)
  public void sessionStatus(JsonObject params) {
    tandem().notification(Methods.SESSION_STATUS, params);
  }

  /** The {@code tandem} section; LSP4IJ looks each requested section up in it. */
  @Override
  protected Object createSettings() {
    JsonObject all = new JsonObject();
    all.add("tandem", TandemSettings.getInstance().section());
    return all;
  }

  @Override
  public void handleServerStatusChanged(@NotNull ServerStatus serverStatus) {
    if (serverStatus == ServerStatus.started) {
      triggerChangeConfiguration();
      tandem().serverStarted();
    } else if (serverStatus == ServerStatus.stopping) {
      tandem().serverStopped();
    }
  }
}
