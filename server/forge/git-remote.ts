import { promises as fs } from 'node:fs';
import * as path from 'node:path';
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

/**
 * Reads `remote.origin.url`, or the first remote's URL when there is no `origin`, from the
 * repository's config file. Resolves to `null` when the folder is not in a git repository, has
 * no remote, or the remote is not a GitLab project URL; never rejects, because a missing remote
 * only means "use the full reference". The file is read, not `git` run: the server runs no
 * commands on the host, least of all in a folder a cloned project controls.
 */
export async function readGitRemote(folder: string): Promise<GitRemote | null> {
  const config = await readGitConfig(path.resolve(folder));
  if (!config) return null;
  const remotes = remoteUrls(config);
  const url = remotes.get('origin') ?? remotes.values().next().value;
  return url ? parseRemoteUrl(url) : null;
}

/** The config text of the repository containing `folder` (worktrees and submodules included). */
async function readGitConfig(folder: string): Promise<string | null> {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    const gitDir = await locateGitDir(path.join(dir, '.git'));
    if (gitDir) {
      const common = await readText(path.join(gitDir, 'commondir'));
      const configDir = common ? path.resolve(gitDir, common.trim()) : gitDir;
      return readText(path.join(configDir, 'config'));
    }
    if (path.dirname(dir) === dir) return null;
  }
}

/** `.git` is a directory, or a file saying `gitdir: <path>` (worktrees, submodules). */
async function locateGitDir(dotGit: string): Promise<string | null> {
  const stat = await fs.stat(dotGit).catch(() => null);
  if (!stat) return null;
  if (stat.isDirectory()) return dotGit;
  const pointer = /^gitdir:\s*(.+)$/m.exec((await readText(dotGit)) ?? '');
  return pointer ? path.resolve(path.dirname(dotGit), pointer[1].trim()) : null;
}

/** `[remote "name"] url = …` entries of a git config file, in file order. */
export function remoteUrls(config: string): Map<string, string> {
  const urls = new Map<string, string>();
  let remoteName: string | null = null;
  for (const raw of config.split(/\r?\n/)) {
    const line = raw.trim();
    const section = /^\[\s*remote\s+"([^"]+)"\s*\]$/i.exec(line);
    if (section) remoteName = section[1];
    else if (line.startsWith('[')) remoteName = null;
    else if (remoteName && !urls.has(remoteName)) {
      const url = /^url\s*=\s*(.+)$/i.exec(line);
      if (url) urls.set(remoteName, url[1].trim().replace(/^"(.*)"$/, '$1'));
    }
  }
  return urls;
}

function readText(file: string): Promise<string | null> {
  return fs.readFile(file, 'utf8').catch(() => null);
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
