package dev.tandem.jetbrains;

import com.google.gson.JsonObject;
import com.intellij.openapi.Disposable;
import com.intellij.openapi.application.ApplicationManager;
import com.intellij.openapi.components.Service;
import com.intellij.openapi.diagnostic.Logger;
import com.intellij.openapi.project.Project;
import com.intellij.openapi.util.Disposer;
import com.intellij.openapi.wm.StatusBar;
import com.intellij.openapi.wm.WindowManager;
import com.redhat.devtools.lsp4ij.LanguageServerItem;
import com.redhat.devtools.lsp4ij.LanguageServerManager;
import com.redhat.devtools.lsp4ij.server.Lease;
import dev.tandem.core.ClientState;
import dev.tandem.core.SessionLook;
import dev.tandem.core.TandemClient;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jetbrains.annotations.NotNull;

/**
 * Everything tandem keeps for one project: the core's state and client over LSP4IJ, the lease
 * that keeps the server alive while it is needed (sessions running, approvals waiting, the tool
 * window open), and the wiring from state changes to the status bar and balloons.
 */
@Service(Service.Level.PROJECT)
public final class TandemProject implements Disposable {
  private static final Logger LOG = Logger.getInstance(TandemProject.class);

  private final Project project;
  private final ClientState state = new ClientState();
  private final LspTransport transport;
  private final TandemClient client;
  private final ApprovalNotifier notifier;
  private final AtomicBoolean toolWindowOpen = new AtomicBoolean();
  private Lease<LanguageServerItem> lease;
  private boolean leasing;

  public TandemProject(@NotNull Project project) {
    this.project = project;
    this.transport = new LspTransport(project);
    this.client = new TandemClient(transport, state);
    this.notifier = new ApprovalNotifier(project, this);
    client.onLog(LOG::warn);
    client.onNewApproval(notifier::approvalArrived);
    state.subscribe(
        (what, id) -> {
          if (what == ClientState.Change.APPROVALS) notifier.approvalChanged(id);
          updateLease();
          ApplicationManager.getApplication().invokeLater(this::updateStatusBar, project.getDisposed());
        });
  }

  public static TandemProject getInstance(@NotNull Project project) {
    return project.getService(TandemProject.class);
  }

  public Project project() {
    return project;
  }

  public ClientState state() {
    return state;
  }

  public TandemClient client() {
    return client;
  }

  /** From the LSP client's thread. */
  void notification(String method, JsonObject params) {
    client.notification(method, params);
  }

  /** The server is up: read the sessions it has (a restart re-sends pending approvals itself). */
  void serverStarted() {
    client.sessionList().exceptionally(e -> {
      LOG.warn("could not list sessions: " + TandemClient.messageOf(e));
      return null;
    });
  }

  void serverStopped() {
    state.serverStopped();
    synchronized (this) {
      lease = null; // the server it held is gone; the next need takes a new one
    }
  }

  /** The tool window shows the chat; the server must stay up while it does. */
  public void toolWindowOpened(boolean open) {
    toolWindowOpen.set(open);
    updateLease();
  }

  /** Starts the server if it is not running (the project opened, an action ran). */
  public void ensureStarted() {
    updateLease();
    transport.server().exceptionally(e -> {
      LOG.warn(TandemClient.messageOf(e));
      return null;
    });
  }

  /** Stops and starts the server again, e.g. after a settings change. */
  public void restart() {
    LanguageServerManager manager = LanguageServerManager.getInstance(project);
    manager.stop(TandemServerFactory.SERVER_ID, new LanguageServerManager.StopOptions().setWillDisable(false));
    manager.start(TandemServerFactory.SERVER_ID, new LanguageServerManager.StartOptions().setForceStart(true));
  }

  private boolean needed() {
    return toolWindowOpen.get() || state.running() > 0 || !state.openApprovals().isEmpty();
  }

  /** Takes a lease when the server is needed and none is held; gives it back when not. */
  private void updateLease() {
    boolean needed = needed();
    Lease<LanguageServerItem> release = null;
    synchronized (this) {
      if (needed && lease == null && !leasing) {
        leasing = true;
        LanguageServerManager.getInstance(project)
            .getLanguageServer(TandemServerFactory.SERVER_ID)
            .whenComplete(
                (item, error) -> {
                  Lease<LanguageServerItem> taken = item == null ? null : item.keepAlive();
                  boolean keep;
                  synchronized (this) {
                    leasing = false;
                    keep = taken != null && needed() && lease == null;
                    if (keep) lease = taken;
                  }
                  if (taken != null && !keep) Disposer.dispose(taken);
                });
      } else if (!needed && lease != null) {
        release = lease;
        lease = null;
      }
    }
    if (release != null) Disposer.dispose(release);
  }

  private void updateStatusBar() {
    StatusBar bar = WindowManager.getInstance().getStatusBar(project);
    if (bar != null) bar.updateWidget(TandemStatusBarWidgetFactory.ID);
  }

  /** The status bar's text. */
  public String statusText() {
    return SessionLook.statusText(state.running(), state.openApprovals().size());
  }

  @Override
  public void dispose() {
    Lease<LanguageServerItem> release;
    synchronized (this) {
      release = lease;
      lease = null;
    }
    if (release != null) Disposer.dispose(release);
  }
}
