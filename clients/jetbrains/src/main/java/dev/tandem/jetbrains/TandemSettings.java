package dev.tandem.jetbrains;

import com.google.gson.JsonObject;
import com.intellij.credentialStore.CredentialAttributes;
import com.intellij.credentialStore.CredentialAttributesKt;
import com.intellij.ide.passwordSafe.PasswordSafe;
import com.intellij.openapi.application.ApplicationManager;
import com.intellij.openapi.components.PersistentStateComponent;
import com.intellij.openapi.components.Service;
import com.intellij.openapi.components.State;
import com.intellij.openapi.components.Storage;
import dev.tandem.core.Settings;
import org.jetbrains.annotations.NotNull;

/**
 * Settings | Tools | tandem: the model endpoint, the GitLab host and Node.js, stored in
 * tandem.xml; the model API key and the GitLab token live in the IDE's password safe only.
 */
@Service(Service.Level.APP)
@State(name = "TandemSettings", storages = @Storage("tandem.xml"))
public final class TandemSettings implements PersistentStateComponent<TandemSettings.StateBean> {
  /** What tandem.xml holds: no secrets. */
  public static final class StateBean {
    public String modelBaseUrl = "";
    public String modelName = "";
    public String gitlabUrl = "";
    public String nodePath = "";
  }

  private static final String MODEL_KEY = "model API key";
  private static final String GITLAB_TOKEN = "GitLab token";

  private StateBean state = new StateBean();
  /** The two secrets, read from the password safe once (it may block, e.g. on a keychain prompt). */
  private volatile String[] secrets;

  public static TandemSettings getInstance() {
    return ApplicationManager.getApplication().getService(TandemSettings.class);
  }

  @Override
  public StateBean getState() {
    return state;
  }

  @Override
  public void loadState(@NotNull StateBean loaded) {
    state = loaded;
  }

  public String nodePath() {
    return state.nodePath;
  }

  private static CredentialAttributes attributes(String key) {
    return new CredentialAttributes(CredentialAttributesKt.generateServiceName("Tandem", key));
  }

  /** Blocking the first time (the password safe is read then): never on the EDT. */
  public String secret(boolean modelKey) {
    String[] known = secrets;
    if (known == null) {
      PasswordSafe safe = PasswordSafe.getInstance();
      known = new String[] {safe.getPassword(attributes(MODEL_KEY)), safe.getPassword(attributes(GITLAB_TOKEN))};
      secrets = known;
    }
    return known[modelKey ? 0 : 1];
  }

  /** Blocking: never on the EDT. Null or blank removes it. */
  public void storeSecret(boolean modelKey, String value) {
    String stored = value == null || value.isBlank() ? null : value.trim();
    PasswordSafe.getInstance().setPassword(attributes(modelKey ? MODEL_KEY : GITLAB_TOKEN), stored);
    String[] known = secrets == null ? new String[] {secret(true), secret(false)} : secrets.clone();
    known[modelKey ? 0 : 1] = stored;
    secrets = known;
  }

  /** The {@code tandem} section of {@code workspace/configuration}, secrets read now. */
  public JsonObject section() {
    return Settings.section(state.modelBaseUrl, state.modelName, state.gitlabUrl, secret(true), secret(false));
  }
}
