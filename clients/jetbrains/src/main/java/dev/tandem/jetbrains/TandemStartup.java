package dev.tandem.jetbrains;

import com.intellij.openapi.project.DumbAware;
import com.intellij.openapi.project.Project;
import com.intellij.openapi.startup.ProjectActivity;
import kotlin.Unit;
import kotlin.coroutines.Continuation;
import org.jetbrains.annotations.NotNull;

/**
 * Starts the server when a project opens, so approvals that survived a restart are asked again
 * and running sessions show in the status bar. (Java implements the suspend function directly, as
 * LSP4IJ's own post-startup activity does; the work here does not suspend.)
 */
public final class TandemStartup implements ProjectActivity, DumbAware {
  @Override
  public Object execute(@NotNull Project project, @NotNull Continuation<? super Unit> continuation) {
    TandemProject.getInstance(project).ensureStarted();
    return Unit.INSTANCE;
  }
}
