package dev.tandem.jetbrains;

import com.intellij.openapi.application.ApplicationManager;
import com.intellij.openapi.options.Configurable;
import com.intellij.openapi.project.Project;
import com.intellij.openapi.project.ProjectManager;
import java.awt.GridBagConstraints;
import java.awt.GridBagLayout;
import java.awt.Insets;
import javax.swing.JComponent;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JPasswordField;
import javax.swing.JTextField;

/**
 * Settings | Tools | tandem. The secret fields start empty and show whether a value is stored;
 * typing one replaces it in the password safe, and applying restarts the open projects' servers
 * so they read the new settings.
 */
public final class TandemConfigurable implements Configurable {
  private final JTextField modelBaseUrl = new JTextField();
  private final JTextField modelName = new JTextField();
  private final JTextField gitlabUrl = new JTextField();
  private final JTextField nodePath = new JTextField();
  private final JPasswordField modelKey = new JPasswordField();
  private final JPasswordField gitlabToken = new JPasswordField();
  private JPanel panel;

  @Override
  public String getDisplayName() {
    return "tandem";
  }

  @Override
  public JComponent createComponent() {
    panel = new JPanel(new GridBagLayout());
    int row = 0;
    row = add(row, "Model endpoint (OpenAI-compatible):", modelBaseUrl);
    row = add(row, "Model name:", modelName);
    row = add(row, "Model API key:", modelKey);
    row = add(row, "GitLab URL:", gitlabUrl);
    row = add(row, "GitLab token:", gitlabToken);
    row = add(row, "Node.js (empty: found on the PATH):", nodePath);
    GridBagConstraints filler = new GridBagConstraints();
    filler.gridy = row;
    filler.weighty = 1;
    panel.add(new JLabel("Secrets are kept in the IDE's password safe; leave a secret field empty to keep it."), filler);
    reset();
    return panel;
  }

  private int add(int row, String label, JComponent field) {
    GridBagConstraints l = new GridBagConstraints();
    l.gridx = 0;
    l.gridy = row;
    l.anchor = GridBagConstraints.LINE_START;
    l.insets = new Insets(4, 0, 4, 8);
    panel.add(new JLabel(label), l);
    GridBagConstraints f = new GridBagConstraints();
    f.gridx = 1;
    f.gridy = row;
    f.weightx = 1;
    f.fill = GridBagConstraints.HORIZONTAL;
    panel.add(field, f);
    return row + 1;
  }

  private static TandemSettings.StateBean saved() {
    return TandemSettings.getInstance().getState();
  }

  @Override
  public boolean isModified() {
    TandemSettings.StateBean s = saved();
    return !modelBaseUrl.getText().trim().equals(s.modelBaseUrl)
        || !modelName.getText().trim().equals(s.modelName)
        || !gitlabUrl.getText().trim().equals(s.gitlabUrl)
        || !nodePath.getText().trim().equals(s.nodePath)
        || modelKey.getPassword().length > 0
        || gitlabToken.getPassword().length > 0;
  }

  @Override
  public void apply() {
    TandemSettings.StateBean s = saved();
    s.modelBaseUrl = modelBaseUrl.getText().trim();
    s.modelName = modelName.getText().trim();
    s.gitlabUrl = gitlabUrl.getText().trim();
    s.nodePath = nodePath.getText().trim();
    String key = new String(modelKey.getPassword());
    String token = new String(gitlabToken.getPassword());
    modelKey.setText("");
    gitlabToken.setText("");
    ApplicationManager.getApplication()
        .executeOnPooledThread(
            () -> {
              if (!key.isEmpty()) TandemSettings.getInstance().storeSecret(true, key);
              if (!token.isEmpty()) TandemSettings.getInstance().storeSecret(false, token);
              for (Project project : ProjectManager.getInstance().getOpenProjects()) {
                TandemProject.getInstance(project).restart();
              }
            });
  }

  @Override
  public void reset() {
    TandemSettings.StateBean s = saved();
    modelBaseUrl.setText(s.modelBaseUrl);
    modelName.setText(s.modelName);
    gitlabUrl.setText(s.gitlabUrl);
    nodePath.setText(s.nodePath);
    modelKey.setText("");
    gitlabToken.setText("");
  }
}
