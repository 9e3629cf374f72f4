package dev.tandem.jetbrains;

import com.intellij.openapi.project.Project;
import com.intellij.openapi.wm.StatusBar;
import com.intellij.openapi.wm.StatusBarWidget;
import com.intellij.openapi.wm.StatusBarWidgetFactory;
import com.intellij.openapi.wm.ToolWindow;
import com.intellij.openapi.wm.ToolWindowManager;
import java.awt.Component;
import java.awt.event.MouseEvent;
import org.jetbrains.annotations.NotNull;

/**
 * {@code tandem: 1 running · 1 approval} in the status bar; a click opens the tool window. It is
 * updated on every state change ({@link TandemProject}).
 */
public final class TandemStatusBarWidgetFactory implements StatusBarWidgetFactory {
  public static final String ID = "dev.tandem.status";

  @Override
  public @NotNull String getId() {
    return ID;
  }

  @Override
  public @NotNull String getDisplayName() {
    return "tandem";
  }

  @Override
  public boolean isAvailable(@NotNull Project project) {
    return true;
  }

  @Override
  public @NotNull StatusBarWidget createWidget(@NotNull Project project) {
    return new StatusWidget(project);
  }

  static final class StatusWidget implements StatusBarWidget, StatusBarWidget.TextPresentation {
    private final Project project;

    StatusWidget(Project project) {
      this.project = project;
    }

    @Override
    public @NotNull String ID() {
      return ID;
    }

    @Override
    public WidgetPresentation getPresentation() {
      return this;
    }

    @Override
    public void install(@NotNull StatusBar statusBar) {}

    @Override
    public @NotNull String getText() {
      return TandemProject.getInstance(project).statusText();
    }

    @Override
    public float getAlignment() {
      return Component.CENTER_ALIGNMENT;
    }

    @Override
    public String getTooltipText() {
      return "tandem: sessions running and approvals waiting. Click to open the chat.";
    }

    @Override
    public com.intellij.util.Consumer<MouseEvent> getClickConsumer() {
      return event -> {
        ToolWindow window = ToolWindowManager.getInstance(project).getToolWindow(TandemToolWindowFactory.ID);
        if (window != null) window.show();
      };
    }

    @Override
    public void dispose() {}
  }
}
