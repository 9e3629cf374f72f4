import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { DirEntry } from './sandbox';
import { SandboxError } from './sandbox';
import { matchWorktreeOwner } from './workspace-owner';
import { resolveWorkspacePath } from './workspace-path';

/**
 * File access for a sandbox. The worktree is bind-mounted into the container, so reading and
 * writing it on the host is the same as in the container, without a tar round trip per file;
 * every path is confined to the worktree first.
 */
export async function readWorkspaceFile(worktree: string, file: string): Promise<string> {
  const { absolute } = await resolveWorkspacePath({ worktree }, file);
  return fs.readFile(absolute, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw notFound(error, file);
  });
}

export async function writeWorkspaceFile(
  worktree: string,
  file: string,
  content: string,
): Promise<void> {
  const { absolute } = await resolveWorkspacePath({ worktree }, file, { write: true });
  const firstCreated = await fs.mkdir(path.dirname(absolute), { recursive: true });
  const existed = await fs.stat(absolute).then(
    () => true,
    () => false,
  );
  await fs.writeFile(absolute, content);
  const created = existed ? [] : [absolute];
  if (firstCreated) created.push(...ancestorsFrom(firstCreated, path.dirname(absolute)));
  await matchWorktreeOwner(worktree, created);
}

export async function listWorkspaceDir(worktree: string, dir: string): Promise<DirEntry[]> {
  const { absolute } = await resolveWorkspacePath({ worktree }, dir || '.');
  const entries = await fs
    .readdir(absolute, { withFileTypes: true })
    .catch((error: NodeJS.ErrnoException) => {
      throw notFound(error, dir);
    });
  const out: DirEntry[] = [];
  for (const entry of entries) {
    const stat = await fs.lstat(path.join(absolute, entry.name)).catch(() => undefined);
    out.push({
      name: entry.name,
      type: entry.isSymbolicLink()
        ? 'symlink'
        : entry.isDirectory()
          ? 'directory'
          : entry.isFile()
            ? 'file'
            : 'other',
      size: stat?.size ?? 0,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** `from` and every directory below it down to `to`. */
function ancestorsFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let dir = to; dir.length >= from.length; dir = path.dirname(dir)) {
    out.push(dir);
    if (dir === from || dir === path.dirname(dir)) break;
  }
  return out;
}

function notFound(error: NodeJS.ErrnoException, given: string): Error {
  if (error.code === 'ENOENT')
    return new SandboxError(`${given} does not exist in the workspace.`, 'not_found');
  if (error.code === 'EISDIR') return new SandboxError(`${given} is a directory.`, 'invalid');
  if (error.code === 'ENOTDIR') return new SandboxError(`${given} is not a directory.`, 'invalid');
  return error;
}
