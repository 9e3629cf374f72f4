import { execFile } from 'node:child_process';
import { SandboxError } from './sandbox';

const GIT_TIMEOUT_MS = 60_000;

/** Runs git on the host, in a repository the server controls (never a shell). */
export function git(cwd: string, args: string[], input?: string): Promise<string> {
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
