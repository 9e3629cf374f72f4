package dev.tandem.jetbrains;

import com.intellij.openapi.Disposable;
import com.intellij.openapi.application.ApplicationManager;
import com.intellij.openapi.ui.Messages;
import dev.tandem.core.ApprovalText;
import dev.tandem.core.ClientState;
import dev.tandem.core.ClientState.Approval;
import dev.tandem.core.SessionLook;
import dev.tandem.core.TandemClient;
import dev.tandem.core.protocol.Protocol;
import dev.tandem.core.protocol.Protocol.SessionSnapshot;
import java.awt.BorderLayout;
import java.awt.FlowLayout;
import java.util.concurrent.CompletableFuture;
import javax.swing.BoxLayout;
import javax.swing.DefaultListModel;
import javax.swing.JButton;
import javax.swing.JComponent;
import javax.swing.JLabel;
import javax.swing.JList;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JSplitPane;
import javax.swing.JTextArea;

/**
 * The tool window without JCEF: pending approvals on top, each with what it asks and Approve /
 * Deny, and the sessions below, newest first, in the same words and symbols as the other clients.
 */
final class SessionsPanel implements Disposable {
  private final TandemProject tandem;
  private final JPanel approvals = new JPanel();
  private final DefaultListModel<String> sessionLines = new DefaultListModel<>();
  private final JList<String> sessions = new JList<>(sessionLines);
  private final JSplitPane root;
  private final ClientState.Listener listener;

  SessionsPanel(TandemProject tandem) {
    this.tandem = tandem;
    this.listener = (what, id) -> ApplicationManager.getApplication().invokeLater(this::render, tandem.project().getDisposed());
    approvals.setLayout(new BoxLayout(approvals, BoxLayout.Y_AXIS));
    JPanel sessionsBox = new JPanel(new BorderLayout());
    sessionsBox.add(new JLabel("Sessions"), BorderLayout.NORTH);
    sessionsBox.add(new JScrollPane(sessions), BorderLayout.CENTER);
    root = new JSplitPane(JSplitPane.VERTICAL_SPLIT, new JScrollPane(approvals), sessionsBox);
    root.setResizeWeight(0.4);
    tandem.state().subscribe(listener);
    tandem.client().sessionList();
    render();
  }

  JComponent component() {
    return root;
  }

  private void render() {
    approvals.removeAll();
    var open = tandem.state().openApprovals();
    if (open.isEmpty()) approvals.add(new JLabel("No approvals waiting."));
    for (Approval a : open) approvals.add(card(a));
    approvals.revalidate();
    approvals.repaint();
    sessionLines.clear();
    for (SessionSnapshot s : tandem.state().sessionsNewestFirst()) sessionLines.addElement(SessionLook.line(s));
  }

  private JComponent card(Approval a) {
    JPanel card = new JPanel(new BorderLayout());
    card.add(new JLabel(a.request().title), BorderLayout.NORTH);
    JTextArea text = new JTextArea(ApprovalText.details(a.request()) + (a.reason() == null ? "" : "\n" + a.reason()));
    text.setEditable(false);
    text.setLineWrap(true);
    card.add(text, BorderLayout.CENTER);
    JPanel buttons = new JPanel(new FlowLayout(FlowLayout.LEADING));
    JButton approve = new JButton("Approve");
    JButton deny = new JButton("Deny");
    boolean answering = a.state() == ClientState.AnswerState.ANSWERING;
    approve.setEnabled(!answering);
    deny.setEnabled(!answering);
    approve.addActionListener(e -> report(tandem.client().approve(a.id(), Protocol.Scope.ONCE)));
    deny.addActionListener(
        e -> {
          String feedback = Messages.showInputDialog(tandem.project(), "What should it do instead? (optional)", "Deny", null);
          if (feedback != null) report(tandem.client().deny(a.id(), feedback));
        });
    buttons.add(approve);
    buttons.add(deny);
    card.add(buttons, BorderLayout.SOUTH);
    return card;
  }

  private void report(CompletableFuture<?> answer) {
    answer.exceptionally(
        e -> {
          ApplicationManager.getApplication()
              .invokeLater(
                  () -> Messages.showErrorDialog(tandem.project(), TandemClient.messageOf(e), "Tandem"),
                  tandem.project().getDisposed());
          return null;
        });
  }

  @Override
  public void dispose() {
    tandem.state().unsubscribe(listener);
  }
}
