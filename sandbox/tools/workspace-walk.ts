import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { WorkspacePath } from '../workspace-path';

/** Directories a search skips unless the caller's path or pattern names them. */
export const SKIPPED_DIRECTORIES = ['.git', 'node_modules'];

/** A walk stops after this many files, so a huge tree cannot stall a tool call. */
export const MAX_WALK_FILES = 50_000;

export interface WalkedFile {
  /** Absolute host path. */
  absolute: string;
  /** Relative to the worktree, `/`-separated. */
  relative: string;
  /** Relative to where the walk started, `/`-separated (the file name when it started at a file). */
  fromStart: string;
  /** Its content may live anywhere, even outside the worktree: never read through it. */
  symlink: boolean;
}

export interface Walk {
  files: WalkedFile[];
  /** The walk stopped at `MAX_WALK_FILES`. */
  incomplete: boolean;
}

export interface WalkOptions {
  /** Directory names not to enter. */
  skip: ReadonlySet<string>;
  signal?: AbortSignal;
  maxFiles?: number;
}

/**
 * Files under `start` in name order. Symlinks are listed but never followed, so a walk cannot
 * loop or wander out of the worktree.
 */
export async function walkWorkspace(start: WorkspacePath, options: WalkOptions): Promise<Walk> {
  const maxFiles = options.maxFiles ?? MAX_WALK_FILES;
  // The start was confined by resolveWorkspacePath, so following a symlink there is safe.
  const stats = await fs.stat(start.absolute);
  if (!stats.isDirectory()) {
    const name = path.posix.basename(start.relative);
    return {
      files: [
        { absolute: start.absolute, relative: start.relative, fromStart: name, symlink: false },
      ],
      incomplete: false,
    };
  }
  const files: WalkedFile[] = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    options.signal?.throwIfAborted();
    const fromStart = pending.shift() as string;
    const directory = path.join(start.absolute, fromStart);
    const entries = await fs.readdir(directory, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirectories: string[] = [];
    for (const entry of entries) {
      const child = fromStart ? `${fromStart}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!options.skip.has(entry.name)) subdirectories.push(child);
        continue;
      }
      if (files.length >= maxFiles) return { files, incomplete: true };
      files.push({
        absolute: path.join(start.absolute, child),
        relative: start.relative === '.' ? child : `${start.relative}/${child}`,
        fromStart: child,
        symlink: entry.isSymbolicLink(),
      });
    }
    pending.unshift(...subdirectories);
  }
  return { files, incomplete: false };
}

/** The default skip list, minus any directory the caller's path or pattern mentions. */
export function skippedDirectories(...mentions: (string | undefined)[]): Set<string> {
  return new Set(
    SKIPPED_DIRECTORIES.filter(
      (name) => !mentions.some((mention) => mention?.split(/[/\\]/).includes(name)),
    ),
  );
}
