import { execFile } from 'node:child_process';
import { SandboxError } from './sandbox';

const GIT_TIMEOUT_MS = 60_000;

/**
 * Runs git on the host, in a repository the server controls (never a shell). `env` adds git's
 * own variables, e.g. `GIT_INDEX_FILE` for work in a private index.
 */
export function git(
  cwd: string,
  args: string[],
  input?: string,
  env: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      // Worktrees may be owned by the container's user (see workspace-owner.ts).
      ['-c', 'safe.directory=*', '-C', cwd, ...args],
      {
        timeout: GIT_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/',
          LC_ALL: 'C',
          ...env,
        },
      },
      (error, stdout, stderr) => {
        if (error) {
          const detail = String(stderr || error.message)
            .trim()
            .split('\n')
            .slice(-3)
            .join(' ');
          reject(new SandboxError(`git ${args[0]} failed: ${detail}`, 'prepare_failed'));
        } else resolve(stdout);
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * Adds a worktree of `repo` at `path` on a new branch, starting from `ref`. The person's own
 * working tree and index are untouched; only the new branch and the worktree's metadata appear.
 */
export async function addWorktree(
  repo: string,
  path: string,
  branch: string,
  ref = 'HEAD',
): Promise<void> {
  try {
    await git(repo, ['worktree', 'add', '--quiet', '-b', branch, path, ref]);
    return;
  } catch (error) {
    if (!/already exists/.test((error as Error).message))
      throw notARepository(repo, error as Error);
  }
  // A session prepared again (after a restart) continues on its branch, with its commits.
  await git(repo, ['worktree', 'prune']);
  await git(repo, ['worktree', 'add', '--quiet', path, branch]);
}

function notARepository(repo: string, error: Error): Error {
  if (!/not a git repository/i.test(error.message)) return error;
  return new SandboxError(
    `${repo} is not a git repository: flows work on a git worktree of the project. Run \`git init\` and commit, or open the project's repository.`,
    'prepare_failed',
  );
}

/**
 * Whether the project has a devcontainer.json at `ref` (read from git, before the worktree
 * exists); true when git cannot tell, so the caller takes the careful path.
 */
export async function hasProjectConfig(repo: string, ref = 'HEAD'): Promise<boolean> {
  const files = ['.devcontainer/devcontainer.json', '.devcontainer.json'];
  return git(repo, ['ls-tree', '--name-only', ref, '--', ...files]).then(
    (listed) => listed.trim() !== '',
    () => true,
  );
}

export async function removeWorktree(repo: string, path: string): Promise<void> {
  await git(repo, ['worktree', 'remove', '--force', path]).catch(() => undefined);
  await git(repo, ['worktree', 'prune']).catch(() => undefined);
}

/** `git diff` of the worktree against its starting point, including new files. */
export async function worktreeDiff(worktree: string, paths: string[] = []): Promise<string> {
  // Intent-to-add makes new files show up in the diff without staging their content.
  await git(worktree, ['add', '--intent-to-add', '--all']);
  return git(worktree, ['diff', '--no-color', '--no-ext-diff', 'HEAD', '--', ...paths]);
}

/** Hooks and fsmonitor are programs named by config; none may run on the host for a session. */
export const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];

/** Who a session's commits are by; the caller chooses it, the person's own config never does. */
export interface GitIdentity {
  name: string;
  email: string;
}

/**
 * Stages everything in the worktree (new, changed and deleted files) and commits it as
 * `author`. `committed` is false, and `sha` the unchanged HEAD, when there was nothing to
 * commit. No hook runs: the worktree's content, and so a `core.hooksPath` inside it, came from
 * the container, and nothing from there may run on the host.
 */
export async function commitAll(
  worktree: string,
  message: string,
  author: GitIdentity,
): Promise<{ sha: string; committed: boolean }> {
  await git(worktree, [...NO_HOOKS, 'add', '--all']);
  const staged = await git(worktree, ['diff', '--cached', '--name-only', '-z']);
  if (staged) {
    const identity = ['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`];
    // `whitespace` keeps lines starting with `#` (issue references) that the default strips.
    const commit = ['commit', '--quiet', '--no-verify', '--cleanup=whitespace', '--file=-'];
    await git(
      worktree,
      [...NO_HOOKS, ...identity, '-c', 'commit.gpgSign=false', ...commit],
      message,
    );
  }
  const sha = (await git(worktree, ['rev-parse', 'HEAD'])).trim();
  return { sha, committed: staged !== '' };
}

/** A GitLab repository reached over HTTPS with a personal access token. */
export interface GitRemote {
  /** The project's `http_url_to_repo`; credentials never go in it. */
  remoteUrl: string;
  token: string;
  signal?: AbortSignal;
}

export type PushOutcome = 'created' | 'updated' | 'forced' | 'unchanged';

/** What GitLab did not let a push or a remote read do; the message says what to do next. */
export class GitRemoteError extends Error {
  constructor(
    message: string,
    readonly reason:
      'unauthorized' | 'forbidden' | 'not_found' | 'rejected' | 'unreachable' | 'failed',
  ) {
    super(message);
    this.name = 'GitRemoteError';
  }
}

/**
 * Pushes the worktree's HEAD to `refs/heads/<branch>` on GitLab. Without `force`, GitLab refuses
 * to rewind a branch that has commits HEAD lacks (`rejected`).
 */
export async function pushBranch(
  options: GitRemote & { worktree: string; branch: string; force?: boolean },
): Promise<{ sha: string; outcome: PushOutcome }> {
  const { worktree, branch } = options;
  await checkBranchName(worktree, branch);
  const sha = (await git(worktree, ['rev-parse', 'HEAD'])).trim();
  const refspec = `${options.force ? '+' : ''}HEAD:refs/heads/${branch}`;
  const args = ['push', '--porcelain', '--no-verify', options.remoteUrl, refspec];
  const { stdout } = await remoteGit(worktree, args, options, `push to branch ${branch}`);
  const flag = /^(.)\t/m.exec(stdout)?.[1];
  const outcome: PushOutcome =
    flag === '*' ? 'created' : flag === '+' ? 'forced' : flag === '=' ? 'unchanged' : 'updated';
  return { sha, outcome };
}

/**
 * Makes `revision` (a pipeline's commit) available in the person's repository, fetched from
 * GitLab into a ref of tandem's own (`refs/tandem/…`): objects and one ref are added, the working
 * tree, index and branches are untouched. A revision already there is not fetched again.
 */
export async function ensureRevision(
  options: GitRemote & { repo: string; revision: string; ref?: string },
): Promise<void> {
  const present = await git(options.repo, ['cat-file', '-e', `${options.revision}^{commit}`]).then(
    () => true,
    () => false,
  );
  if (present) return;
  const into = `refs/tandem/fetched/${options.revision}`;
  const source = options.ref ?? options.revision;
  await remoteGit(
    options.repo,
    ['fetch', '--no-tags', options.remoteUrl, `+${source}:${into}`],
    options,
    `fetch ${source}`,
  );
}

async function checkBranchName(worktree: string, branch: string): Promise<void> {
  try {
    await git(worktree, ['check-ref-format', `refs/heads/${branch}`]);
  } catch {
    throw new GitRemoteError(
      `${JSON.stringify(branch)} is not a valid branch name: use letters, digits, "-", "_", "." and "/".`,
      'failed',
    );
  }
}

/** Pushes and ls-remotes of big repositories over slow links take longer than local git. */
const REMOTE_TIMEOUT_MS = 10 * 60_000;

/**
 * Runs git against GitLab with the token as an `Authorization` header. The header reaches git
 * through GIT_CONFIG_* variables rather than `-c` so the token is in no process's argv (which
 * every local user can read); it is never in the URL, and every message is scrubbed of it.
 */
function remoteGit(
  cwd: string,
  args: string[],
  remote: GitRemote,
  action: string,
): Promise<{ stdout: string; stderr: string }> {
  refuseCredentialsInUrl(remote.remoteUrl);
  const basic = Buffer.from(`oauth2:${remote.token}`).toString('base64');
  const secrets = [remote.token, basic].filter((s) => s.length >= 4);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/',
    LC_ALL: 'C',
    // Never wait on a prompt nobody sees; a refused token must fail at once.
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
  // An empty credential.helper clears every helper, so no stored password is tried or saved.
  const argv = [
    '-c',
    'credential.helper=',
    ...NO_HOOKS,
    '-c',
    'safe.directory=*',
    '-C',
    cwd,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      argv,
      { env, timeout: REMOTE_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, signal: remote.signal },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const output = redact(`${stderr}\n${stdout}\n${error.message}`, secrets);
        reject(remoteFailure(output, remote.remoteUrl, action));
      },
    );
  });
}

function refuseCredentialsInUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new GitRemoteError(
      `${url} is not a repository URL: use the project's https:// clone URL.`,
      'failed',
    );
  }
  if (parsed.username || parsed.password) {
    throw new GitRemoteError(
      "The repository URL carries credentials: use the project's clone URL without them; the token is sent separately.",
      'failed',
    );
  }
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('[token]'), text);
}

/** Turns git's stderr into what happened and what the person can do about it. */
function remoteFailure(output: string, url: string, action: string): GitRemoteError {
  const said = gitlabSaid(output);
  if (/returned error: 403|\b403 Forbidden/i.test(output)) {
    return new GitRemoteError(
      `GitLab refused the ${action} (403): your account may not do this on ${url}; pushing needs Developer access or above, so ask a maintainer of the project.${said}`,
      'forbidden',
    );
  }
  if (
    /returned error: 401|Authentication failed|could not read (Username|Password)/i.test(output)
  ) {
    return new GitRemoteError(
      `GitLab refused the ${action} (401): the token was not accepted. Set tandem.gitlab.token or GITLAB_TOKEN to a personal access token with the write_repository or api scope.${said}`,
      'unauthorized',
    );
  }
  if (
    /\[rejected\]|\[remote rejected\]|non-fast-forward|fetch first|pre-receive hook declined/i.test(
      output,
    )
  ) {
    return new GitRemoteError(
      `GitLab rejected the ${action}: the branch has commits this worktree lacks, or is protected. Start again from the branch's current head, or push to a new branch.${said}`,
      'rejected',
    );
  }
  if (
    /Could not resolve host|Failed to connect|Connection refused|timed out|Could not connect/i.test(
      output,
    )
  ) {
    return new GitRemoteError(
      `Cannot reach GitLab for the ${action} at ${url}: check tandem.gitlab.url and your network connection.`,
      'unreachable',
    );
  }
  if (/repository '.*' not found|returned error: 404/i.test(output)) {
    return new GitRemoteError(
      `GitLab found no repository at ${url} for the ${action} (404): check the project path, and that your account is a member of the project.`,
      'not_found',
    );
  }
  return new GitRemoteError(`git could not ${action} at ${url}: ${lastLines(output)}`, 'failed');
}

/** GitLab's own explanation, which git prints as `remote: …` lines. */
function gitlabSaid(output: string): string {
  const lines = output
    .split('\n')
    .filter((l) => l.startsWith('remote: '))
    .map((l) => l.slice('remote: '.length).trim())
    .filter(Boolean);
  return lines.length > 0 ? ` GitLab said: ${lines.join(' ')}` : '';
}

function lastLines(output: string): string {
  return output.trim().split('\n').filter(Boolean).slice(-3).join(' ');
}
