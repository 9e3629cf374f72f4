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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jetbrains.annotations.NotNull;

/**
 * Everything tandem keeps for one project: the core's state and client over LSP4IJ, the LSP4IJ
 * lease that keeps the server alive from its start until the project closes (sessions run and
 * approvals wait on it even with no file open), and the wiring from state changes to the status
 * bar, the balloons and the tool window.
 */
@Service(Service.Level.PROJECT)
public final class TandemProject implements Disposable {
  private static final Logger LOG = Logger.getInstance(TandemProject.class);

  private final Project project;
  private final ClientState state = new ClientState();
  private final LspTransport transport;
  private final TandemClient client;
  private final ApprovalNotifier notifier;
  private final List<Runnable> onServerStarted = new CopyOnWriteArrayList<>();
  private Lease<LanguageServerItem> lease;
  private boolean leasing;
  private boolean disposed;

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

  /** A server → client notification, on one of LSP4IJ's tasks. */
  void notification(String method, JsonObject params) {
    client.notification(method, params);
  }

  /** Runs (off the EDT) each time the server has started, e.g. to reload the webview. */
  public void onServerStarted(Runnable listener, Disposable parent) {
    onServerStarted.add(listener);
    Disposer.register(parent, () -> onServerStarted.remove(listener));
  }

  /**
   * The server is up: take the lease (outside LSP4IJ's start, on a pooled thread) and read the
   * sessions it has; it re-sends the approvals still pending itself.
   */
  void serverStarted() {
    ApplicationManager.getApplication().executeOnPooledThread(this::takeLease);
    client.sessionList().exceptionally(e -> {
      LOG.warn("could not list sessions: " + TandemClient.messageOf(e));
      return null;
    });
    for (Runnable listener : onServerStarted) listener.run();
  }

  /** The server stopped for real (restart, crash, stopped by the person): its lease goes too. */
  void serverStopped() {
    state.serverStopped();
    releaseLease();
  }

  /** Starts the server if it is not running (the project opened, an action ran). */
  public void ensureStarted() {
    transport.server().exceptionally(e -> {
      LOG.warn(TandemClient.messageOf(e));
      return null;
    });
  }

  /** Stops and starts the server again (after a settings change, or when it is stuck). */
  public void restart() {
    LanguageServerManager.getInstance(project)
        .start(TandemServerFactory.SERVER_ID, new LanguageServerManager.StartOptions().setForceStart(true));
  }

  /** Takes one lease on the running server unless one is held; never calls LSP4IJ under the lock. */
  private void takeLease() {
    synchronized (this) {
      if (lease != null || leasing || disposed) return;
      leasing = true;
    }
    LanguageServerManager.getInstance(project)
        .getLanguageServer(TandemServerFactory.SERVER_ID)
        .whenComplete(
            (item, error) -> {
              Lease<LanguageServerItem> taken = item == null ? null : item.keepAlive();
              boolean keep;
              synchronized (this) {
                leasing = false;
                keep = taken != null && lease == null && !disposed;
                if (keep) lease = taken;
              }
              if (taken != null && !keep) Disposer.dispose(taken);
            });
  }

  private void releaseLease() {
    Lease<LanguageServerItem> release;
    synchronized (this) {
      release = lease;
      lease = null;
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
    synchronized (this) {
      disposed = true;
    }
    releaseLease();
  }
}
