import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { SandboxConfig } from '../../server/config';
import { resolveSettings } from '../../server/settings';
import { DevContainerProvider } from '../../sandbox/devcontainer-sandbox';
import { tempDir } from './temp-dir';

/**
 * Skips a Docker suite on a developer machine without Docker, but fails it in CI, where Docker
 * and the offline image are part of the set-up (`.ci/run`): a missing daemon must never pass
 * for green there.
 */
export async function requireDocker(context: Mocha.Context): Promise<void> {
  const problems = await new DevContainerProvider({
    rootDir: '/nonexistent',
    config: () => sandboxConfig(),
  }).check();
  if (problems.length === 0) return;
  if (process.env.CI) throw new Error(`Docker suites need Docker in CI: ${problems.join(' ')}`);
  context.skip();
}

export function sandboxConfig(overrides: Partial<SandboxConfig> = {}): SandboxConfig {
  return { ...resolveSettings({}, {}).config.sandbox, memory: '256m', pids: 64, ...overrides };
}

/** A git repository with one commit holding `files`. */
export function gitRepo(files: Record<string, string>): { dir: string; cleanup(): void } {
  const repo = tempDir('tandem-repo-');
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo.dir, file)), { recursive: true });
    fs.writeFileSync(path.join(repo.dir, file), content);
  }
  const git = (...args: string[]) =>
    execFileSync(
      'git',
      ['-C', repo.dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args],
      {
        stdio: 'pipe',
      },
    );
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return repo;
}

/** Every file under `dir` (but `.git`) with its bytes, to prove a tree unchanged. */
export function snapshotTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (current: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.set(path.relative(dir, full), fs.readFileSync(full).toString('base64'));
    }
  };
  walk(dir);
  return out;
}

export const docker = new Docker();
