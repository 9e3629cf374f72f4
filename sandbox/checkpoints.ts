import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { git, NO_HOOKS } from './git';
import { SandboxError } from './sandbox';

/** Files larger than this stay out of checkpoints (and are never touched by a restore). */
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;

/** A snapshot of a session's worktree, kept as a commit on a hidden ref of the repository. */
export interface WorktreeCheckpoint {
  /** The commit's sha: what a restore names. */
  readonly id: string;
  /** `refs/tandem/sessions/<session>/checkpoints/<n>`: hidden from branches and tags. */
  readonly ref: string;
  readonly label: string;
  readonly createdAt: string;
  /** Files left out for their size; a restore leaves them as they are. */
  readonly skipped: readonly string[];
  /** Nothing changed since the previous checkpoint, which this is; no commit was written. */
  readonly unchanged?: boolean;
}

interface SnapshotState {
  gitDir: string;
  index: string;
  count: number;
  last?: WorktreeCheckpoint;
  lastTree?: string;
  /** The private index holds the last checkpoint's tree, with the stat data of its files. */
  warm: boolean;
}

const IDENTITY = [
  '-c',
  'user.name=tandem',
  '-c',
  'user.email=tandem@localhost',
  '-c',
  'commit.gpgSign=false',
];
const SKIPPED_TRAILER = 'Tandem-Skipped: ';

function refPrefix(sessionId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(sessionId) || sessionId.includes('..')) {
    throw new SandboxError(`Not a session id for a checkpoint ref: ${sessionId}`, 'prepare_failed');
  }
  return `refs/tandem/sessions/${sessionId}/checkpoints/`;
}

/** NUL-separated git output as a list. */
function paths(output: string): string[] {
  return output.split('\0').filter(Boolean);
}

/**
 * Checkpoints of one session's worktree: each is the whole worktree (new, changed and deleted
 * files; ignored files and files over the size limit left out) written as a commit on a hidden
 * ref, through a private index. The worktree, its index, HEAD and branches are never changed by
 * a snapshot. A restore makes the worktree match a checkpoint, after checkpointing it as it was,
 * so every restore can be undone by restoring that one. Works in any git repository, also one
 * without commits.
 */
export class WorktreeCheckpoints {
  private readonly prefix: string;
  private queue: Promise<unknown> = Promise.resolve();
  private snapshotState?: Promise<SnapshotState>;

  constructor(
    private readonly worktree: string,
    private readonly sessionId: string,
    private readonly maxFileBytes = DEFAULT_MAX_FILE_BYTES,
  ) {
    this.prefix = refPrefix(sessionId);
  }

  /** The session's checkpoints, oldest first. */
  async list(): Promise<WorktreeCheckpoint[]> {
    const format = '%(refname)%00%(objectname)%00%(creatordate:iso-strict)%00%(contents)%00%00';
    const out = await git(this.worktree, ['for-each-ref', `--format=${format}`, this.prefix]);
    return out
      .split('\0\0\n')
      .filter((record) => record.trim())
      .map((record) => {
        const [ref, id, createdAt, message = ''] = record.split('\0');
        const lines = message.split('\n');
        const skippedLine = lines.find((l) => l.startsWith(SKIPPED_TRAILER));
        return {
          id,
          ref,
          createdAt: new Date(createdAt).toISOString(),
          label: lines[0],
          skipped: skippedLine
            ? (JSON.parse(skippedLine.slice(SKIPPED_TRAILER.length)) as string[])
            : [],
        };
      })
      .sort((a, b) => a.ref.localeCompare(b.ref));
  }

  /**
   * Writes the worktree as it is now as a new checkpoint; when nothing changed since the last
   * one, answers that one (`unchanged`) without writing anything.
   */
  snapshot(label: string): Promise<WorktreeCheckpoint> {
    return this.serialized(() => this.write(label));
  }

  /** Runs `work` after the snapshots already asked for: they share the private index. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(label: string): Promise<WorktreeCheckpoint> {
    const state = await this.state();
    const env = { GIT_INDEX_FILE: state.index };
    // The private index matches the last checkpoint only once a snapshot has completed.
    const warm = state.warm;
    state.warm = false;
    let skipped: string[];
    if (!warm) {
      // Start from a copy of the worktree's own index, so files it already hashed (by size and
      // time) are not read again; without one, from HEAD's tree.
      const own = path.join(state.gitDir, 'index');
      if (statSize(own) !== undefined) copyFileSync(own, state.index);
      else
        await git(this.worktree, ['read-tree', (await this.head()) ?? '--empty'], undefined, env);
      skipped = await this.largeFiles(env);
      await this.add(['.', ...skipped.map((p) => `:(exclude,literal)${p}`)], env);
    } else {
      // Only what differs from the last checkpoint (by the private index's stat data) is read.
      const changed = [
        ...new Set(
          paths(
            await git(
              this.worktree,
              ['ls-files', '-z', '--others', '--modified', '--exclude-standard'],
              undefined,
              env,
            ),
          ),
        ),
      ];
      if (changed.length === 0 && state.last) {
        state.warm = true;
        return { ...state.last, unchanged: true };
      }
      skipped = changed.filter(
        (f) => (statSize(path.join(this.worktree, f)) ?? 0) > this.maxFileBytes,
      );
      const add = changed.filter((f) => !skipped.includes(f)).map((f) => `:(literal)${f}`);
      if (add.length > 0) await this.add(add, env);
    }
    // A large file the index already tracks stays as it has it: never recorded as deleted.
    const tree = (await git(this.worktree, ['write-tree'], undefined, env)).trim();
    if (state.last && tree === state.lastTree) {
      state.warm = true;
      return { ...state.last, unchanged: true };
    }
    const parent = state.last?.id ?? (await this.head());
    const title = label.replace(/\s+/g, ' ').trim() || 'checkpoint';
    const message = [title, '', `${SKIPPED_TRAILER}${JSON.stringify(skipped.sort())}`].join('\n');
    // The commit's date is the checkpoint's, so the answer needs no read of the ref back.
    const seconds = Math.floor(Date.now() / 1000);
    const commit = (
      await git(
        this.worktree,
        [...IDENTITY, 'commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'],
        message,
        { GIT_COMMITTER_DATE: `${seconds} +0000`, GIT_AUTHOR_DATE: `${seconds} +0000` },
      )
    ).trim();
    const ref = `${this.prefix}${String(state.count + 1).padStart(6, '0')}`;
    await git(this.worktree, ['update-ref', ref, commit, '']);
    const createdAt = new Date(seconds * 1000).toISOString();
    const checkpoint = { id: commit, ref, label: title, createdAt, skipped };
    Object.assign(state, { count: state.count + 1, last: checkpoint, lastTree: tree, warm: true });
    return checkpoint;
  }

  /**
   * The first checkpoint of a worktree just checked out: its HEAD commit itself, so nothing is
   * read or written but a ref. Later snapshots start from the worktree's own index (refreshed),
   * so they read only what changed. A worktree that has checkpoints already gets a snapshot.
   */
  base(label: string): Promise<WorktreeCheckpoint> {
    return this.serialized(async () => {
      const state = await this.state();
      if (state.count > 0) return this.write(label);
      const found = await git(this.worktree, ['rev-parse', 'HEAD^{commit}', 'HEAD^{tree}']).catch(
        () => '',
      );
      const [head, tree] = found.trim().split('\n');
      // A repository without commits has no HEAD to stand for the worktree.
      if (!head || !tree) return this.write(label);
      const ref = `${this.prefix}${String(1).padStart(6, '0')}`;
      copyFileSync(path.join(state.gitDir, 'index'), state.index);
      const env = { GIT_INDEX_FILE: state.index };
      await Promise.all([
        git(this.worktree, ['update-ref', ref, head, '']),
        // Stat data as the files are now (their owner may have changed), so the next snapshot
        // reads only files whose content changed; a changed file is left for it to find.
        git(this.worktree, ['update-index', '-q', '--refresh'], undefined, env).catch(() => ''),
      ]);
      const checkpoint = {
        id: head,
        ref,
        label: label.replace(/\s+/g, ' ').trim() || 'checkpoint',
        createdAt: new Date().toISOString(),
        skipped: [],
      };
      Object.assign(state, { count: 1, last: checkpoint, lastTree: tree, warm: true });
      return checkpoint;
    });
  }

  private add(pathspecs: string[], env: Record<string, string>): Promise<string> {
    return git(
      this.worktree,
      [...NO_HOOKS, 'add', '--all', '--pathspec-from-file=-', '--pathspec-file-nul'],
      `${pathspecs.join('\0')}\0`,
      env,
    );
  }

  /**
   * What the snapshots of this instance build on: the worktree's git directory, a private index
   * kept there between snapshots (so only changed files are read again) and the last checkpoint.
   */
  private state(): Promise<SnapshotState> {
    this.snapshotState ??= Promise.all([
      git(this.worktree, ['rev-parse', '--absolute-git-dir']),
      this.list(),
    ]).then(([gitDir, existing]) => ({
      gitDir: gitDir.trim(),
      index: path.join(gitDir.trim(), `tandem-checkpoints-${this.sessionId}.index`),
      count: existing.length,
      last: existing.at(-1),
      warm: false,
    }));
    return this.snapshotState;
  }

  /**
   * Makes the worktree match checkpoint `id` (files over the size limit and ignored files stay as
   * they are). Returns the checkpoint of the worktree as it was just before: restoring that one
   * undoes this restore.
   */
  async restore(id: string): Promise<{ restored: WorktreeCheckpoint; undo: WorktreeCheckpoint }> {
    const target = (await this.list()).find((c) => c.id === id || c.ref === id);
    if (!target) {
      throw new SandboxError(
        `No checkpoint ${id} in this session: pick one from the session's checkpoints.`,
        'prepare_failed',
      );
    }
    const undo = await this.snapshot(`before restoring ${target.label}`);
    const diff = (filter: string) =>
      git(this.worktree, [
        'diff',
        '--name-only',
        '-z',
        '--no-renames',
        `--diff-filter=${filter}`,
        undo.id,
        target.id,
      ]).then(paths);
    const keep = new Set([...undo.skipped, ...target.skipped]);
    for (const file of (await diff('D')).filter((f) => !keep.has(f))) {
      this.remove(file);
    }
    const write = (await diff('ACMT')).filter((f) => !keep.has(f));
    if (write.length > 0) {
      const dir = mkdtempSync(path.join(tmpdir(), 'tandem-restore-'));
      const env = { GIT_INDEX_FILE: path.join(dir, 'index') };
      try {
        await git(this.worktree, ['read-tree', target.id], undefined, env);
        await git(
          this.worktree,
          ['checkout-index', '--force', '-z', '--stdin'],
          `${write.join('\0')}\0`,
          env,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return { restored: target, undo };
  }

  /** HEAD's commit, or undefined in a repository without commits. */
  private async head(): Promise<string | undefined> {
    try {
      return (await git(this.worktree, ['rev-parse', '--verify', '-q', 'HEAD^{commit}'])).trim();
    } catch {
      return undefined;
    }
  }

  /** New or changed files over the size limit (tracked and unchanged ones cost nothing). */
  private async largeFiles(env: Record<string, string>): Promise<string[]> {
    const [others, changed] = await Promise.all([
      git(this.worktree, ['ls-files', '-z', '--others', '--exclude-standard'], undefined, env),
      git(this.worktree, ['diff-files', '--name-only', '-z'], undefined, env),
    ]);
    const candidates = [...paths(others), ...paths(changed)];
    return [...new Set(candidates)]
      .filter((file) => (statSize(path.join(this.worktree, file)) ?? 0) > this.maxFileBytes)
      .sort();
  }

  /** Deletes a file the checkpoint does not have, and directories it leaves empty. */
  private remove(file: string): void {
    const full = path.join(this.worktree, file);
    try {
      unlinkSync(full);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (let dir = path.dirname(full); dir.startsWith(this.worktree + path.sep);) {
      if (readdirSync(dir).length > 0) break;
      rmdirSync(dir);
      dir = path.dirname(dir);
    }
  }
}

function statSize(file: string): number | undefined {
  try {
    const s = statSync(file);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}
