package dev.tandem.jetbrains;

import com.intellij.openapi.actionSystem.ActionUpdateThread;
import com.intellij.openapi.actionSystem.AnAction;
import com.intellij.openapi.actionSystem.AnActionEvent;
import com.intellij.openapi.application.ApplicationManager;
import com.intellij.openapi.project.DumbAware;
import com.intellij.openapi.project.Project;
import com.intellij.openapi.ui.Messages;
import com.intellij.openapi.wm.ToolWindow;
import com.intellij.openapi.wm.ToolWindowManager;
import dev.tandem.core.TandemClient;
import dev.tandem.core.protocol.Protocol;
import dev.tandem.core.protocol.Protocol.FlowId;
import org.jetbrains.annotations.NotNull;

/**
 * Tools | Tandem | Fix Pipeline… / Implement Issue… / Review Merge Request…: asks for the
 * reference and starts the flow with trigger {@code ui} (the person asked for it, so no approval
 * to start), then shows the tool window where its session appears.
 */
public abstract class FlowAction extends AnAction implements DumbAware {
  private final FlowId flow;
  private final String prompt;

  FlowAction(FlowId flow, String prompt) {
    this.flow = flow;
    this.prompt = prompt;
  }

  @Override
  public @NotNull ActionUpdateThread getActionUpdateThread() {
    return ActionUpdateThread.BGT;
  }

  @Override
  public void update(@NotNull AnActionEvent e) {
    e.getPresentation().setEnabled(e.getProject() != null);
  }

  @Override
  public void actionPerformed(@NotNull AnActionEvent e) {
    Project project = e.getProject();
    if (project == null) return;
    String name = Protocol.FLOW_NAMES.get(flow);
    String reference = Messages.showInputDialog(project, prompt, name, null);
    if (reference == null || reference.isBlank()) return;
    TandemProject.getInstance(project)
        .client()
        .flowStart(flow, reference.trim())
        .whenComplete(
            (started, error) ->
                ApplicationManager.getApplication()
                    .invokeLater(
                        () -> {
                          if (error != null) {
                            Messages.showErrorDialog(project, TandemClient.messageOf(error), name);
                            return;
                          }
                          ToolWindow window = ToolWindowManager.getInstance(project).getToolWindow(TandemToolWindowFactory.ID);
                          if (window != null) window.show();
                        },
                        project.getDisposed()));
  }

  public static final class FixPipeline extends FlowAction {
    public FixPipeline() {
      super(FlowId.FIX_PIPELINE, "Pipeline URL (…/-/pipelines/42):");
    }
  }

  public static final class ImplementIssue extends FlowAction {
    public ImplementIssue() {
      super(FlowId.IMPLEMENT_ISSUE, "Issue URL, group/project#12 or #12:");
    }
  }

  public static final class ReviewMergeRequest extends FlowAction {
    public ReviewMergeRequest() {
      super(FlowId.CODE_REVIEW, "Merge request URL, group/project!7 or !7:");
    }
  }
}
