package dev.tandem.jetbrains;

import com.intellij.openapi.project.Project;
import com.intellij.openapi.vfs.VirtualFile;
import com.redhat.devtools.lsp4ij.DocumentMatcher;
import org.jetbrains.annotations.NotNull;

/**
 * The matcher of the server's one file mapping, which matches nothing: tandem is not tied to a
 * file type, but LSP4IJ's registry expects every server to have a mapping when the IDE starts.
 */
public final class NeverMatcher implements DocumentMatcher {
  @Override
  public boolean match(@NotNull VirtualFile file, @NotNull Project project) {
    return false;
  }
}
