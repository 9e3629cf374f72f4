import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scrubbedHostEnv } from './exec-env';
import { SandboxError } from './sandbox';

export interface UpResult {
  containerId: string;
  remoteUser: string;
  remoteWorkspaceFolder: string;
}

/** Path of the `devcontainer` CLI that ships with tandem (the `@devcontainers/cli` package). */
export function devcontainerCli(): string {
  return require.resolve('@devcontainers/cli/devcontainer.js');
}

/**
 * `devcontainer up` for a worktree with a contained configuration. The CLI runs with a scrubbed
 * environment, so `${localEnv:…}` in a project's configuration cannot read the host's secrets.
 */
export function devcontainerUp(options: {
  worktree: string;
  configFile: string;
  labels: Record<string, string>;
  onProgress?: (line: string) => void;
}): Promise<UpResult> {
  const args = [
    devcontainerCli(),
    'up',
    '--workspace-folder',
    options.worktree,
    '--config',
    options.configFile,
    '--mount-workspace-git-root',
    'false',
    '--log-format',
    'json',
    ...Object.entries(options.labels).flatMap(([k, v]) => ['--id-label', `${k}=${v}`]),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: scrubbedHostEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let log = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => {
      log = (log + String(chunk)).slice(-20_000);
      for (const line of String(chunk).split('\n')) progressLine(line, options.onProgress);
    });
    child.on('error', (error) =>
      reject(new SandboxError(`devcontainer up failed: ${error.message}`, 'prepare_failed')),
    );
    child.on('close', (code) => {
      const result = lastJson(stdout);
      if (code === 0 && result?.outcome === 'success') {
        resolve({
          containerId: String(result.containerId),
          remoteUser: String(result.remoteUser ?? 'root'),
          remoteWorkspaceFolder: String(result.remoteWorkspaceFolder),
        });
      } else {
        const message = result?.message ?? result?.description ?? tailOf(log);
        reject(new SandboxError(`The dev container did not start: ${message}`, 'prepare_failed'));
      }
    });
  });
}

function lastJson(text: string): Record<string, unknown> | undefined {
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      // Not a JSON line.
    }
  }
  return undefined;
}

function progressLine(line: string, onProgress?: (line: string) => void): void {
  if (!onProgress || !line.trim()) return;
  try {
    const entry = JSON.parse(line) as { type?: string; text?: string; name?: string };
    if (entry.type === 'start' && entry.name) onProgress(entry.name);
  } catch {
    // Plain text from a subprocess.
  }
}

function tailOf(log: string): string {
  const texts = log
    .split('\n')
    .map((line) => {
      try {
        return (JSON.parse(line) as { text?: string }).text ?? '';
      } catch {
        return line;
      }
    })
    .filter((t) => t.trim());
  return texts.slice(-6).join(' | ') || 'no output';
}

/** Writes a contained configuration where the CLI reads it, outside the project. */
export function writeConfig(dir: string, config: Record<string, unknown>): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'devcontainer.json');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}
