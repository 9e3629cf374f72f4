package dev.tandem.jetbrains;

import com.intellij.execution.configurations.GeneralCommandLine;
import com.intellij.openapi.project.Project;
import com.redhat.devtools.lsp4ij.LanguageServerFactory;
import com.redhat.devtools.lsp4ij.client.LanguageClientImpl;
import com.redhat.devtools.lsp4ij.server.CannotStartProcessException;
import com.redhat.devtools.lsp4ij.server.OSProcessStreamConnectionProvider;
import com.redhat.devtools.lsp4ij.server.StreamConnectionProvider;
import dev.tandem.core.ServerCommand;
import dev.tandem.core.StdioServer;
import org.eclipse.lsp4j.services.LanguageServer;
import org.jetbrains.annotations.NotNull;

/**
 * Starts the bundled server ({@code node <plugin>/server/tandem.js lsp --stdio}) for LSP4IJ,
 * registered in plugin.xml as server {@value #SERVER_ID}. No file opens it: the plugin starts it
 * ({@link TandemProject}) and holds an LSP4IJ lease on it while the project is open.
 */
public final class TandemServerFactory implements LanguageServerFactory {
  public static final String SERVER_ID = "tandem";

  @Override
  public @NotNull StreamConnectionProvider createConnectionProvider(@NotNull Project project) {
    ServerCommand command;
    try {
      command =
          ServerCommand.resolve(
              TandemSettings.getInstance().nodePath(), ServerCommand.bundledServer(TandemServerFactory.class), System.getenv());
    } catch (ServerCommand.SetupException e) {
      // LSP4IJ shows this exception's own message in its start-failure balloon and console.
      throw new CannotStartProcessException(e.getMessage());
    }
    GeneralCommandLine commandLine =
        new GeneralCommandLine(command.command())
            .withParentEnvironmentType(GeneralCommandLine.ParentEnvironmentType.CONSOLE);
    String base = project.getBasePath();
    if (base != null) commandLine = commandLine.withWorkDirectory(base);
    return new ConnectionProvider(commandLine);
  }

  @Override
  public @NotNull LanguageClientImpl createLanguageClient(@NotNull Project project) {
    return new TandemLanguageClient(project);
  }

  @Override
  public @NotNull Class<? extends LanguageServer> getServerInterface() {
    return TandemServerApi.class;
  }

  /** The process, advertising what this client renders in {@code capabilities.experimental}. */
  static final class ConnectionProvider extends OSProcessStreamConnectionProvider {
    ConnectionProvider(GeneralCommandLine commandLine) {
      super(commandLine);
    }

    @Override
    public Object getExperimentalFeaturesPOJO() {
      return StdioServer.capabilities().getAsJsonObject("experimental");
    }
  }
}
