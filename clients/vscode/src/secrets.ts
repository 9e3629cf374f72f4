import * as vscode from 'vscode';

export const SECRET_KEYS = {
  modelApiKey: 'tandem.model.apiKey',
  gitlabToken: 'tandem.gitlab.token',
} as const;

export async function readSecrets(
  secrets: vscode.SecretStorage,
): Promise<{ modelApiKey?: string; gitlabToken?: string }> {
  const [modelApiKey, gitlabToken] = await Promise.all([
    secrets.get(SECRET_KEYS.modelApiKey),
    secrets.get(SECRET_KEYS.gitlabToken),
  ]);
  return { modelApiKey, gitlabToken };
}

/** Asks for a secret (masked) and keeps it in the editor's SecretStorage; empty clears it. */
export async function askForSecret(
  secrets: vscode.SecretStorage,
  key: keyof typeof SECRET_KEYS,
): Promise<boolean> {
  const what = key === 'modelApiKey' ? 'model API key' : 'GitLab personal access token';
  const value = await vscode.window.showInputBox({
    title: `tandem: ${what}`,
    prompt: `Stored in the editor's secret storage, never in settings. Leave empty to remove it.`,
    password: true,
    ignoreFocusOut: true,
  });
  if (value === undefined) return false;
  if (value.trim()) await secrets.store(SECRET_KEYS[key], value.trim());
  else await secrets.delete(SECRET_KEYS[key]);
  void vscode.window.showInformationMessage(
    value.trim() ? `tandem: the ${what} is stored.` : `tandem: the ${what} is removed.`,
  );
  return true;
}
