import {
  copyFileSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  rmSync,
  type Stats,
  statSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { git, NO_HOOKS } from './git';
import { GitBatch, lineWith, nulTerminated } from './git-batch';
import {
  LooseObjects,
  type ObjectFormat,
  ObjectReader,
  type PathChange,
  SUBMODULE_MODE,
  TREE_MODE,
} from './git-objects';
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
  objects: LooseObjects;
  /** HEAD's commit and tree; undefined in a repository without commits. */
  head?: { commit: string; tree: string };
  count: number;
  last?: WorktreeCheckpoint;
  lastTree?: string;
  /**
   * The private index has stat data for the files of a recent checkpoint: a snapshot reads only
   * what differs from it.
   */
  warm: boolean;
  /** A checkpoint whose ref is still to be written (the base writes its ref after answering). */
  pendingRef?: { ref: string; id: string };
  /**
   * The tree the worktree is known to match, but for files named since: what a snapshot of
   * named files builds on. Unknown after a restart, a restore, or changes made elsewhere.
   */
  worktreeTree?: string;
  /**
   * The tree the private index holds. Snapshots of named files do not write the index, so it
   * may be older than the last checkpoint's.
   */
  indexTree?: string;
}

/** Processes kept running for snapshots of files the session wrote. */
interface Helpers {
  reader: ObjectReader;
  attributes: GitBatch;
  ignores: GitBatch;
  refs: GitBatch;
  /** git's settings allow writing blobs as the files are: no line-ending conversion. */
  settings: Promise<{ plain: boolean; fileMode: boolean }>;
}

/** Attributes under which git changes a file's content as it stores it. */
const CONVERSIONS = ['filter', 'text', 'eol', 'crlf', 'ident', 'working-tree-encoding'];
/** Files that change what git stores for other files, or which files it takes. */
const RULE_FILES = new Set(['.gitignore', '.gitattributes', '.gitmodules']);
/** After this many failures, snapshots of written files go through git's own commands. */
const FAST_PATH_FAILURES = 3;

const SKIPPED_TRAILER = 'Tandem-Skipped: ';
/** How git's settings say "false". */
const FALSE = new Set(['false', 'no', 'off', '0']);

/** A checkpoint's title: one line. */
function titleOf(label: string): string {
  return label.replace(/\s+/g, ' ').trim() || 'checkpoint';
}

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
  private running?: Helpers;
  private fastFailures = 0;
  /** Snapshots taken from the files a tool named, and through git's own commands. */
  readonly taken = { fromFiles: 0, withGit: 0 };
  private realRoot?: string;
  private closed = false;

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
   * one, answers that one (`unchanged`) without writing anything. `files`, when given, are all
   * that changed since the last checkpoint (the files a tool wrote): only they are read.
   */
  snapshot(
    label: string,
    options: { files?: readonly string[] } = {},
  ): Promise<WorktreeCheckpoint> {
    return this.serialized(async () => {
      const files = options.files;
      if (files && this.fastFailures < FAST_PATH_FAILURES) {
        try {
          const written = await this.writeFiles(label, files);
          if (written) {
            this.taken.fromFiles++;
            return written;
          }
        } catch {
          // git's own commands below give the checkpoint, or say what is wrong.
          this.fastFailures++;
        }
      }
      this.taken.withGit++;
      return this.write(label);
    });
  }

  /** Resolves once the work asked for so far (snapshots, a base's ref) is done. */
  async idle(): Promise<void> {
    await this.queue;
  }

  /**
   * Ends the processes kept running for snapshots, for good: snapshots still asked for go
   * through git's own commands.
   */
  close(): void {
    this.closed = true;
    const helpers = this.running;
    this.running = undefined;
    if (!helpers) return;
    for (const batch of [helpers.attributes, helpers.ignores, helpers.refs]) batch.close();
    helpers.reader.close();
  }

  /** Runs `work` after the snapshots already asked for: they share the private index. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(label: string): Promise<WorktreeCheckpoint> {
    const state = await this.state();
    await this.writePendingRef(state);
    const env = { GIT_INDEX_FILE: state.index };
    // The private index is known good only once a snapshot has completed.
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
      this.rulesChanged();
    } else {
      // Only what differs from the private index (by its stat data) is read. Files checkpoints
      // wrote without git differ from it too: git's index is built to tell by stat data alone,
      // reading the content where a time stamp cannot tell ("racily clean" entries).
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
      // A rule file changed (or may have): its rules are read again.
      if (changed.some((file) => RULE_FILES.has(path.posix.basename(file)))) this.rulesChanged();
      // The worktree is the index's tree: when that is the last checkpoint's, nothing changed.
      if (changed.length === 0 && state.last && state.indexTree === state.lastTree) {
        Object.assign(state, { warm: true, worktreeTree: state.lastTree });
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
    Object.assign(state, { warm: true, worktreeTree: tree, indexTree: tree });
    if (state.last && tree === state.lastTree) return { ...state.last, unchanged: true };
    return this.record(state, tree, skipped.sort(), label);
  }

  /**
   * Writes the commit of a checkpoint of `tree` (on the last checkpoint, or HEAD) and its ref.
   * The commit is written straight into the object directory: its date is the checkpoint's, so
   * the answer needs no read of the ref back.
   */
  private async record(
    state: SnapshotState,
    tree: string,
    skipped: string[],
    label: string,
  ): Promise<WorktreeCheckpoint> {
    const parent = state.last?.id ?? (await this.head());
    const title = titleOf(label);
    const seconds = Math.floor(Date.now() / 1000);
    const signature = `tandem <tandem@localhost> ${seconds} +0000`;
    const commit = state.objects.write(
      'commit',
      Buffer.from(
        [
          `tree ${tree}`,
          ...(parent ? [`parent ${parent}`] : []),
          `author ${signature}`,
          `committer ${signature}`,
          '',
          title,
          '',
          `${SKIPPED_TRAILER}${JSON.stringify(skipped)}`,
          '',
        ].join('\n'),
      ),
    );
    const ref = this.refName(state.count + 1);
    await this.createRef(ref, commit);
    const createdAt = new Date(seconds * 1000).toISOString();
    const checkpoint = { id: commit, ref, label: title, createdAt, skipped };
    Object.assign(state, { count: state.count + 1, last: checkpoint, lastTree: tree });
    return checkpoint;
  }

  /**
   * The first checkpoint of a worktree just checked out: its HEAD commit itself, so nothing is
   * read or written before the answer. Its ref and the private index (the worktree's own,
   * refreshed, so later snapshots read only what changed) are written next, before any other
   * snapshot. A worktree that has checkpoints already gets a snapshot.
   */
  base(label: string): Promise<WorktreeCheckpoint> {
    return this.serialized(async () => {
      const state = await this.state();
      // A repository without commits has no HEAD to stand for the worktree.
      if (state.count > 0 || !state.head) return this.write(label);
      const ref = this.refName(1);
      const checkpoint = {
        id: state.head.commit,
        ref,
        label: titleOf(label),
        createdAt: new Date().toISOString(),
        skipped: [],
      };
      Object.assign(state, {
        count: 1,
        last: checkpoint,
        lastTree: state.head.tree,
        pendingRef: { ref, id: checkpoint.id },
      });
      // Next in line, but after the answer has been taken: the session does not wait for it.
      void this.serialized(async () => {
        await new Promise((resolve) => setImmediate(resolve));
        const helpers = this.helpers(state);
        if (!helpers) return;
        copyFileSync(path.join(state.gitDir, 'index'), state.index);
        const env = { GIT_INDEX_FILE: state.index };
        const [, status] = await Promise.allSettled([
          this.writePendingRef(state),
          // Refreshes the stat data (the files' owner may have changed), and tells whether the
          // worktree is HEAD's: then snapshots of named files can build on HEAD's tree. What
          // preparing the sandbox changed is left for the next snapshot to find.
          git(
            this.worktree,
            ['status', '--porcelain=v1', '-z', '--untracked-files=all'],
            undefined,
            env,
          ),
        ]);
        state.warm = status.status === 'fulfilled';
        // Nothing staged, changed or new: the index and the worktree are HEAD's tree.
        if (status.status === 'fulfilled' && status.value === '' && state.count === 1) {
          Object.assign(state, { worktreeTree: state.lastTree, indexTree: state.lastTree });
        }
        // A first question to each process, so the first snapshot of a file does not wait for
        // them to read their packs and rules.
        await Promise.allSettled([
          helpers.reader.tree(state.head?.tree ?? ''),
          helpers.attributes.request('.gitattributes\0', nulTerminated(CONVERSIONS.length * 3)),
          helpers.ignores.request('.gitignore\0', nulTerminated(4)),
        ]);
      }).catch(() => undefined);
      return checkpoint;
    });
  }

  /** `refs/tandem/sessions/<session>/checkpoints/<n>`, numbered so they sort as made. */
  private refName(ordinal: number): string {
    return `${this.prefix}${String(ordinal).padStart(6, '0')}`;
  }

  /** Creates a ref that must not exist yet: through the running `update-ref`, when there is one. */
  private createRef(ref: string, id: string): Promise<unknown> {
    return this.running
      ? this.running.refs.request(`start\0create ${ref}\0${id}\0commit\0`, lineWith('commit: ok'))
      : git(this.worktree, ['update-ref', ref, id, '']);
  }

  /** Writes the ref of a checkpoint answered before its ref was written. */
  private async writePendingRef(state: SnapshotState): Promise<void> {
    const pending = state.pendingRef;
    if (!pending) return;
    await this.createRef(pending.ref, pending.id).catch(async (error) => {
      // Written already (by an earlier try that was cut short) is written.
      const found = await git(this.worktree, ['rev-parse', '--verify', '-q', pending.ref]).catch(
        () => '',
      );
      if (found.trim() !== pending.id) throw error;
    });
    state.pendingRef = undefined;
  }

  /**
   * A checkpoint of the files a tool wrote (or removed), written without starting git: blobs,
   * the trees on their paths and the commit go straight into the object directory; trees are
   * read, attributes and ignore rules asked, and the ref written through git processes kept
   * running. Answers undefined when git's own commands must do it: a file git would convert
   * (line endings, filters), a symlink or something else than a file, a file over the size
   * limit, a rule file (`.gitignore`, `.gitattributes`), a path in a submodule.
   */
  private async writeFiles(
    label: string,
    files: readonly string[],
  ): Promise<WorktreeCheckpoint | undefined> {
    const state = await this.state();
    // Only from a tree the worktree is known to match but for the files named.
    const from = state.worktreeTree;
    if (!state.last || !from || state.pendingRef) return undefined;
    const helpers = this.helpers(state);
    if (!helpers) return undefined;
    const settings = await helpers.settings;
    if (!settings.plain) return undefined;
    const relative = [...new Set(files.map((file) => this.relative(file)))];
    if (relative.some((file) => !file || RULE_FILES.has(path.posix.basename(file)))) {
      return undefined;
    }
    this.realRoot ??= realpathSync(this.worktree);
    const present: Array<{ file: string; full: string; stat: Stats }> = [];
    const removed: string[] = [];
    for (const file of relative as string[]) {
      const full = path.join(this.worktree, file);
      let stat: Stats;
      try {
        stat = lstatSync(full);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
        removed.push(file);
        continue;
      }
      if (!stat.isFile() || stat.size > this.maxFileBytes) return undefined;
      // git does not follow a symlinked directory; neither does a checkpoint.
      if (realpathSync(path.dirname(full)) !== path.join(this.realRoot, path.dirname(file))) {
        return undefined;
      }
      present.push({ file, full, stat });
    }
    const parts = (file: string) => Buffer.from(file).toString('latin1').split('/');
    // Asked of two processes at once: how git would store the files, and what the tree has there.
    const [conversions, entries] = await Promise.all([
      present.length > 0
        ? helpers.attributes.request(
            `${present.map((p) => p.file).join('\0')}\0`,
            nulTerminated(present.length * CONVERSIONS.length * 3),
          )
        : Buffer.alloc(0),
      Promise.all(present.map(({ file }) => helpers.reader.entry(from, parts(file)))),
    ]);
    const fields = conversions.toString('latin1').split('\0');
    for (let i = 2; i < fields.length; i += 3) {
      if (fields[i] !== 'unspecified' && fields[i] !== 'unset') return undefined;
    }
    const existing = new Map<string, string | undefined>();
    for (const [i, { file }] of present.entries()) {
      const entry = entries[i];
      if (entry?.mode === SUBMODULE_MODE) return undefined;
      existing.set(file, entry && entry.mode !== TREE_MODE ? entry.mode : undefined);
    }
    // A new file that the ignore rules leave out stays out, as `git add` leaves it.
    const fresh = present.filter((p) => existing.get(p.file) === undefined).map((p) => p.file);
    const ignored = new Set<string>();
    if (fresh.length > 0) {
      // `./` first: check-ignore reads a path as a pathspec (`:memo` would be `memo`).
      const answer = await helpers.ignores.request(
        fresh.map((file) => `./${file}\0`).join(''),
        nulTerminated(fresh.length * 4),
      );
      const fields = answer.toString('latin1').split('\0');
      fresh.forEach((file, i) => {
        const [source, , pattern] = fields.slice(i * 4, i * 4 + 4);
        if (source && !pattern.startsWith('!')) ignored.add(file);
      });
    }
    const changes: Array<[string, PathChange]> = [];
    for (const { file, full, stat } of present) {
      if (ignored.has(file)) continue;
      // Without core.fileMode, git keeps the mode it had.
      const executable = settings.fileMode
        ? (stat.mode & 0o100) !== 0
        : existing.get(file) === '100755';
      const mode = executable ? '100755' : '100644';
      changes.push([file, { mode, oid: state.objects.write('blob', readFileSync(full)) }]);
    }
    for (const file of removed) changes.push([file, null]);
    const tree = await helpers.reader.edit(
      from,
      changes.map(([file, change]) => [parts(file), change] as const),
      state.objects,
    );
    state.worktreeTree = tree;
    if (tree === state.lastTree) return { ...state.last, unchanged: true };
    const written = new Set(relative as string[]);
    const skipped = state.last.skipped.filter((file) => !written.has(file));
    return this.record(state, tree, skipped, label);
  }

  /** A path a tool gave, relative to the worktree in git's form; undefined when it is not one. */
  private relative(file: string): string | undefined {
    const relative = path.relative(this.worktree, path.resolve(this.worktree, file));
    if (!relative || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
    const posix = relative.split(path.sep).join('/');
    return posix.split('/').includes('.git') ? undefined : posix;
  }

  /** The processes snapshots of written files use, started on first use; none once closed. */
  private helpers(state: SnapshotState): Helpers | undefined {
    if (this.running || this.closed) return this.running;
    this.running = {
      reader: new ObjectReader(this.batch(['cat-file', '--batch']), state.objects.format),
      refs: this.batch(['update-ref', '--stdin', '-z']),
      ...this.rules(),
    };
    return this.running;
  }

  private batch(args: string[]): GitBatch {
    const started = new GitBatch(this.worktree, args);
    started.start();
    return started;
  }

  /**
   * What decides how git stores a file and whether it takes it: attributes, ignore rules and
   * settings. git reads them once per process, so they are asked again of new processes when
   * they may have changed.
   */
  private rules(): Pick<Helpers, 'attributes' | 'ignores' | 'settings'> {
    return {
      attributes: this.batch(['check-attr', '--stdin', '-z', ...CONVERSIONS]),
      // As `git add` with a fresh index sees a new file.
      ignores: this.batch(['check-ignore', '--stdin', '-z', '-v', '-n', '--no-index']),
      settings: git(this.worktree, ['config', '-z', '--get-regexp', '^core\\.(autocrlf|filemode)$'])
        .catch(() => '')
        .then((out) => {
          const values = new Map(
            out
              .split('\0')
              .filter(Boolean)
              .map((record) => {
                const [key, value = ''] = record.split('\n');
                return [key.toLowerCase(), value.toLowerCase()] as const;
              }),
          );
          return {
            plain: FALSE.has(values.get('core.autocrlf') ?? 'false'),
            fileMode: !FALSE.has(values.get('core.filemode') ?? 'true'),
          };
        }),
    };
  }

  /** After a rule file may have changed: the running processes' rules are read again. */
  private rulesChanged(): void {
    const helpers = this.running;
    if (!helpers) return;
    helpers.attributes.close();
    helpers.ignores.close();
    Object.assign(helpers, this.rules());
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
    const where = [
      'rev-parse',
      '--absolute-git-dir',
      '--git-path',
      'objects',
      '--show-object-format',
    ];
    this.snapshotState ??= Promise.all([
      // HEAD too, but a repository without commits has none: then asked again without it.
      git(this.worktree, [...where, 'HEAD^{commit}', 'HEAD^{tree}']).catch(() =>
        git(this.worktree, where),
      ),
      this.list(),
    ]).then(([found, existing]) => {
      const [gitDir, objects, format, commit, tree] = found.trim().split('\n');
      return {
        gitDir,
        index: path.join(gitDir, `tandem-checkpoints-${this.sessionId}.index`),
        objects: new LooseObjects(
          path.resolve(this.worktree, objects),
          format === 'sha256' ? 'sha256' : ('sha1' as ObjectFormat),
        ),
        head: commit && tree ? { commit, tree } : undefined,
        count: existing.length,
        last: existing.at(-1),
        warm: false,
      };
    });
    return this.snapshotState;
  }

  /**
   * Makes the worktree match checkpoint `id` (files over the size limit and ignored files stay as
   * they are). Returns the checkpoint of the worktree as it was just before: restoring that one
   * undoes this restore.
   */
  async restore(id: string): Promise<{ restored: WorktreeCheckpoint; undo: WorktreeCheckpoint }> {
    const target =
      (await this.list()).find((c) => c.id === id || c.ref === id) ?? (await this.ofBranch(id));
    if (!target) {
      throw new SandboxError(
        `No checkpoint ${id} in this session: pick one from the session's checkpoints.`,
        'prepare_failed',
      );
    }
    const undo = await this.snapshot(`before restoring ${target.label}`);
    // The worktree is the target's now, but for files a restore leaves: found by the next snapshot.
    (await this.state()).worktreeTree = undefined;
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

  /**
   * A commit of the worktree's branch (its start, say) as a checkpoint: the first checkpoint of
   * a worktree is its HEAD commit, recorded before its ref is written; a crash in between leaves
   * it without one.
   */
  private async ofBranch(id: string): Promise<WorktreeCheckpoint | undefined> {
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id)) return undefined;
    const ancestor = await git(this.worktree, ['merge-base', '--is-ancestor', id, 'HEAD']).then(
      () => true,
      () => false,
    );
    if (!ancestor) return undefined;
    return { id, ref: '', label: 'the worktree as created', createdAt: '', skipped: [] };
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
