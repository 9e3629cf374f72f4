import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { SandboxError } from './sandbox';

/** Where a workspace lives, as the host and the container see it. A `Sandbox` is one. */
export interface WorkspaceRoots {
  /** Absolute host path of the worktree. */
  readonly worktree: string;
  /** Absolute path of the same folder inside the container, e.g. `/workspaces/app`. */
  readonly workspaceFolder?: string;
}

export interface WorkspacePath {
  /** Absolute host path, lexically inside the worktree. */
  absolute: string;
  /** Relative to the worktree with `/` separators; `.` for the worktree itself. */
  relative: string;
}

export interface ResolveOptions {
  /** The caller is about to write there: `.git` is off limits too. */
  write?: boolean;
}

/**
 * Resolves a path the model gave (relative to the workspace, or absolute inside the worktree or
 * the container's workspace folder) and refuses anything that would reach outside the worktree:
 * `..` escapes, other absolute paths, NUL bytes, and symlinks whose real path leaves it. For a
 * path that does not exist yet the nearest existing parent is checked, so a new file cannot be
 * created through a symlinked directory. The check happens at call time: a process left running
 * in the container could still swap a directory for a symlink before the caller writes, a narrow
 * window since the agent's own commands have finished by then.
 */
export async function resolveWorkspacePath(
  roots: WorkspaceRoots,
  given: string,
  options: ResolveOptions = {},
): Promise<WorkspacePath> {
  const resolved = resolveLexically(roots, given);
  if (options.write) refuseGitMetadata(given, resolved.relative);
  const realRoot = await fs.realpath(roots.worktree).catch(() => {
    throw new SandboxError(
      `The session's worktree ${roots.worktree} is gone; start the session again.`,
      'container_gone',
    );
  });
  const real = await realPathOfNearestExisting(resolved.absolute, given);
  const realRelative = path.relative(realRoot, real);
  if (isOutside(realRelative)) {
    throw new SandboxError(
      `${given} leads outside the workspace through a symlink; only files inside the workspace can be used.`,
      'path_outside',
    );
  }
  if (options.write) refuseGitMetadata(given, toPosix(realRelative));
  return resolved;
}

/** The path inside the container for a resolved workspace path. */
export function containerPath(workspaceFolder: string, relative: string): string {
  return relative === '.' ? workspaceFolder : path.posix.join(workspaceFolder, relative);
}

/** Resolution without touching the disk: NUL bytes, absolute paths and `..` escapes. */
export function resolveLexically(roots: WorkspaceRoots, given: string): WorkspacePath {
  if (given.includes('\0')) {
    throw new SandboxError('The path contains a NUL byte; give a plain relative path.', 'invalid');
  }
  const root = path.resolve(roots.worktree);
  const absolute = path.resolve(root, fromContainer(roots, given.trim() || '.'));
  const relative = path.relative(root, absolute);
  if (isOutside(relative)) {
    throw new SandboxError(
      `${given} is outside the workspace; use a path relative to the workspace root, without leading "..".`,
      'path_outside',
    );
  }
  return { absolute, relative: toPosix(relative) || '.' };
}

/** The model sees container paths in command output; map them back onto the worktree. */
function fromContainer(roots: WorkspaceRoots, given: string): string {
  const folder = roots.workspaceFolder;
  if (!folder || !given.startsWith('/')) return given;
  const inside = path.posix.relative(folder, path.posix.normalize(given));
  if (inside === '') return '.';
  return isOutside(inside) ? given : inside;
}

function isOutside(relative: string): boolean {
  return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}

function refuseGitMetadata(given: string, relative: string): void {
  // Case-insensitive file systems (macOS, Windows) treat `.GIT` as `.git`.
  if (relative.split('/').some((segment) => segment.toLowerCase() === '.git')) {
    throw new SandboxError(
      `${given} is inside git's metadata (.git), which tools may not write; change files of the project instead.`,
      'path_outside',
    );
  }
}

async function realPathOfNearestExisting(absolute: string, given: string): Promise<string> {
  let candidate = absolute;
  for (;;) {
    try {
      return await fs.realpath(candidate);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    // A dangling symlink would let a write create its target wherever it points.
    const link = await fs.lstat(candidate).catch(() => null);
    if (link) {
      throw new SandboxError(
        `${given} goes through a symlink whose target does not exist; remove the link or use another path.`,
        'path_outside',
      );
    }
    const parent = path.dirname(candidate);
    if (parent === candidate) return candidate;
    candidate = parent;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
