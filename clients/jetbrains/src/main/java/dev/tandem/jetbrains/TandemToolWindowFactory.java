package dev.tandem.jetbrains;

import com.intellij.openapi.application.ApplicationManager;
import com.intellij.openapi.project.DumbAware;
import com.intellij.openapi.project.Project;
import com.intellij.openapi.util.Disposer;
import com.intellij.openapi.wm.ToolWindow;
import com.intellij.openapi.wm.ToolWindowFactory;
import com.intellij.ui.content.Content;
import com.intellij.ui.content.ContentFactory;
import com.intellij.ui.jcef.JBCefApp;
import com.intellij.ui.jcef.JBCefBrowser;
import dev.tandem.core.ApprovalText;
import dev.tandem.core.TandemClient;
import javax.swing.JComponent;
import org.jetbrains.annotations.NotNull;

/**
 * The Tandem tool window: the shared webview (the same chat, cards, widgets and sessions pages
 * as VS Code) in JCEF, loaded from the server's 127.0.0.1 endpoint with its token. Where JCEF is
 * unavailable, a Swing list of sessions and pending approvals with Approve / Deny.
 */
public final class TandemToolWindowFactory implements ToolWindowFactory, DumbAware {
  public static final String ID = "Tandem";

  @Override
  public void createToolWindowContent(@NotNull Project project, @NotNull ToolWindow toolWindow) {
    TandemProject tandem = TandemProject.getInstance(project);
    JComponent component;
    if (JBCefApp.isSupported()) {
      JBCefBrowser browser = JBCefBrowser.createBuilder().build();
      // The webview is one page (no navigation of its own): links it shows open in the browser.
      browser.setOpenLinksInExternalBrowser(true);
      Disposer.register(toolWindow.getDisposable(), browser);
      Runnable load = () -> load(project, tandem, browser);
      load.run();
      // A restarted server serves the page on a new port with a new token.
      tandem.onServerStarted(load, toolWindow.getDisposable());
      component = browser.getComponent();
    } else {
      SessionsPanel panel = new SessionsPanel(tandem);
      Disposer.register(toolWindow.getDisposable(), panel);
      component = panel.component();
    }
    Content content = ContentFactory.getInstance().createContent(component, "", false);
    toolWindow.getContentManager().addContent(content);
  }

  private static void load(Project project, TandemProject tandem, JBCefBrowser browser) {
    tandem
        .client()
        .webviewInfo()
        .whenComplete(
            (info, error) ->
                ApplicationManager.getApplication()
                    .invokeLater(
                        () -> {
                          if (error != null) browser.loadHTML(errorPage(TandemClient.messageOf(error)));
                          else browser.loadURL(info.url);
                        },
                        project.getDisposed()));
  }

  private static String errorPage(String message) {
    String text = ApprovalText.escapeHtml(message);
    return "<html><body style='font-family:sans-serif;padding:1em'><h3>tandem could not start</h3><p>"
        + text
        + "</p><p>Check Settings | Tools | tandem, then run Tandem: Restart Server.</p></body></html>";
  }
}
