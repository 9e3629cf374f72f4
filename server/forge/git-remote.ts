import { execFile } from 'node:child_process';
import { isProjectPath } from './references';

/** Where the workspace's git remote points. */
export interface GitRemote {
  /**
   * For `http`: the web host with its port, e.g. `127.0.0.1:8080`. For `ssh`: the host name only,
   * because an SSH port says nothing about where the web UI and API live.
   */
  host: string;
  /** e.g. `group/sub/app`, without `.git`. */
  projectPath: string;
  transport: 'http' | 'ssh';
}

const GIT_TIMEOUT_MS = 5000;

/**
 * Reads `remote.origin.url`, or the first remote's URL when there is no `origin`. Resolves to
 * `null` when the folder is not a git repository, has no remote, or the remote is not a GitLab
 * project URL; never rejects, because a missing remote only means "use the full reference".
 */
export async function readGitRemote(folder: string): Promise<GitRemote | null> {
  const origin = await git(folder, ['config', '--get', 'remote.origin.url']);
  if (origin) return parseRemoteUrl(origin);
  const first = (await git(folder, ['remote']))?.split('\n')[0]?.trim();
  if (!first) return null;
  const url = await git(folder, ['config', '--get', `remote.${first}.url`]);
  return url ? parseRemoteUrl(url) : null;
}

/**
 * Turns a remote URL into host and project path. Understands `https://host/group/app.git`,
 * `http://127.0.0.1:8080/group/app.git`, `ssh://git@host:2222/group/app.git` and the scp-like
 * `git@host:group/app.git`. Credentials in the URL are dropped.
 */
export function parseRemoteUrl(url: string): GitRemote | null {
  const text = url.trim();
  if (/^https?:\/\//i.test(text)) return fromUrl(text, 'http');
  if (/^(?:ssh|git\+ssh|ssh\+git):\/\//i.test(text)) return fromUrl(text, 'ssh');
  const scp = /^(?:[^@/\s]+@)?([^:/\s]{2,}):(?!\/\/)(.+)$/.exec(text);
  return scp ? remote(scp[1].toLowerCase(), scp[2], 'ssh') : null;
}

function fromUrl(text: string, transport: GitRemote['transport']): GitRemote | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const host = transport === 'http' ? url.host : url.hostname;
  return host ? remote(host, url.pathname, transport) : null;
}

function remote(host: string, path: string, transport: GitRemote['transport']): GitRemote | null {
  const projectPath = path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  return isProjectPath(projectPath) ? { host, projectPath, transport } : null;
}

function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      { cwd, timeout: GIT_TIMEOUT_MS, windowsHide: true, env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout) => resolve(error ? undefined : stdout.trim() || undefined),
    );
  });
}
