package dev.tandem.jetbrains;

import com.intellij.notification.Notification;
import com.intellij.notification.NotificationAction;
import com.intellij.notification.NotificationGroup;
import com.intellij.notification.NotificationGroupManager;
import com.intellij.notification.NotificationType;
import com.intellij.openapi.application.ApplicationManager;
import com.intellij.openapi.project.Project;
import com.intellij.openapi.ui.Messages;
import com.intellij.openapi.wm.ToolWindow;
import com.intellij.openapi.wm.ToolWindowManager;
import dev.tandem.core.ApprovalText;
import dev.tandem.core.ClientState.Approval;
import dev.tandem.core.TandemClient;
import dev.tandem.core.protocol.Protocol;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Balloons for approvals that arrive while the Tandem tool window is hidden: the question, the
 * flow or command and its reference, with Approve / Deny / Show. A balloon expires as soon as
 * its approval is answered anywhere (the chat, another client), so no stale question stays up.
 */
final class ApprovalNotifier {
  static final String GROUP = "Tandem";

  private final Project project;
  private final TandemProject tandem;
  private final Map<String, Notification> shown = new ConcurrentHashMap<>();

  ApprovalNotifier(Project project, TandemProject tandem) {
    this.project = project;
    this.tandem = tandem;
  }

  /** A new approval (on the LSP thread). */
  void approvalArrived(Approval approval) {
    ApplicationManager.getApplication()
        .invokeLater(
            () -> {
              ToolWindow window = ToolWindowManager.getInstance(project).getToolWindow(TandemToolWindowFactory.ID);
              if (window != null && window.isVisible()) return; // the chat shows the card
              show(approval);
            },
            project.getDisposed());
  }

  private void show(Approval approval) {
    NotificationGroup group = NotificationGroupManager.getInstance().getNotificationGroup(GROUP);
    if (group == null) return;
    String title = ApprovalText.escapeHtml(approval.request().title);
    Notification n = group.createNotification(title, ApprovalText.html(approval.request()), NotificationType.INFORMATION);
    n.setImportant(true);
    n.addAction(NotificationAction.createSimpleExpiring("Approve", () -> answer(approval, true)));
    n.addAction(NotificationAction.createSimpleExpiring("Deny", () -> answer(approval, false)));
    n.addAction(
        NotificationAction.createSimpleExpiring(
            "Show",
            () -> {
              ToolWindow window = ToolWindowManager.getInstance(project).getToolWindow(TandemToolWindowFactory.ID);
              if (window != null) window.show();
            }));
    n.whenExpired(() -> shown.remove(approval.id()));
    shown.put(approval.id(), n);
    n.notify(project);
  }

  private void answer(Approval approval, boolean approve) {
    var answer =
        approve
            ? tandem.client().approve(approval.id(), Protocol.Scope.ONCE)
            : tandem.client().deny(approval.id(), null);
    answer.exceptionally(
        e -> {
          ApplicationManager.getApplication()
              .invokeLater(() -> Messages.showErrorDialog(project, TandemClient.messageOf(e), "Tandem"), project.getDisposed());
          return null;
        });
  }

  /** An approval changed: once it is no longer open, its balloon goes. */
  void approvalChanged(String approvalId) {
    Approval a = tandem.state().approval(approvalId);
    if (a != null && a.isOpen()) return;
    Notification n = shown.remove(approvalId);
    if (n != null) ApplicationManager.getApplication().invokeLater(n::expire);
  }
}
